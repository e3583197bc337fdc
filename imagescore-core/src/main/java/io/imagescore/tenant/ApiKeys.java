package io.imagescore.tenant;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.security.auth.x500.X500Principal;

/**
 * The credentials file: API keys as hash lines, never the keys themselves: {@code <sha256 hex of the key> <tenant>
 * <role,role>}, and client certificates as {@code cert <tenant> <role,role> subject=<DN>} or {@code cert <tenant>
 * <role,role> san=<dns|uri|email|ip>:<value>} lines (blank lines and {@code #} comments allowed). A key is 256 random
 * bits ({@code isk_} + 43 base64url characters), so an unsalted SHA-256 is enough: there is nothing to guess a
 * dictionary for. A certificate line only names who a certificate is; whether the certificate is genuine is the TLS
 * trust store's decision (quarkus.tls.*). The file (or a mounted Kubernetes secret) is re-read when its modification
 * time or size changes, at most once per {@link #RECHECK_NANOS}; a file that fails to parse keeps the previous
 * credentials and logs the line at fault.
 */
public final class ApiKeys {
    private static final Logger LOG = Logger.getLogger(ApiKeys.class.getName());
    static final long RECHECK_NANOS = 1_000_000_000L;
    private static final String PREFIX = "isk_";

    /** Who a key belongs to. */
    public record Entry(String tenant, Set<Role> roles) {
    }

    /** A new key and the line that configures it. */
    public record NewKey(String key, String line) {
    }

    /** A {@code cert} line: {@code field} is {@code subject} or a SAN type, {@code value} in its canonical form. */
    public record CertRule(String field, String value, Entry entry) {
        private static final Map<String, Integer> SAN_TYPES = Map.of("email", 1, "dns", 2, "uri", 6, "ip", 7);

        static CertRule parse(String selector, Entry entry) {
            if (selector.startsWith("subject=")) {
                return new CertRule("subject", canonicalSubject(new X500Principal(selector.substring(8))), entry);
            }
            int colon = selector.indexOf(':');
            if (selector.startsWith("san=") && colon > 4 && SAN_TYPES.containsKey(selector.substring(4, colon))) {
                String type = selector.substring(4, colon);
                return new CertRule(type, canonicalSan(type, selector.substring(colon + 1)), entry);
            }
            throw new IllegalArgumentException("expected 'subject=<DN>' or 'san=<dns|uri|email|ip>:<value>'");
        }

        boolean matches(X509Certificate cert) {
            if (field.equals("subject")) {
                return value.equals(canonicalSubject(cert.getSubjectX500Principal()));
            }
            try {
                Collection<List<?>> sans = cert.getSubjectAlternativeNames();
                if (sans == null) {
                    return false;
                }
                for (List<?> san : sans) {
                    if (SAN_TYPES.get(field).equals(san.get(0)) && san.get(1) instanceof String v && value.equals(canonicalSan(field, v))) {
                        return true;
                    }
                }
                return false;
            } catch (CertificateParsingException | IllegalArgumentException e) {
                return false;
            }
        }

        /** RFC 2253 canonical form: attribute order kept, case and spacing folded ({@link X500Principal#CANONICAL}). */
        static String canonicalSubject(X500Principal p) {
            return p.getName(X500Principal.CANONICAL);
        }

        private static String canonicalSan(String type, String v) {
            return switch (type) {
                case "dns", "email" -> v.toLowerCase(Locale.ROOT);
                case "ip" -> InetAddress.ofLiteral(v).getHostAddress();
                default -> v;
            };
        }
    }

    /** What one version of the file says: keys by hash, and certificate lines in file order. */
    public record Credentials(Map<String, Entry> byHash, List<CertRule> certs) {
    }

    private final Path file;
    private volatile Credentials credentials = new Credentials(Map.of(), List.of());
    private volatile long checkedAt = System.nanoTime() - RECHECK_NANOS - 1;
    private volatile String stamp = "";

    public ApiKeys(Path file) {
        this.file = file;
        reloadIfChanged(true);
    }

    public Path file() {
        return file;
    }

    /** The key's owner, or empty for an unknown key. */
    public Optional<Entry> lookup(String key) {
        if (System.nanoTime() - checkedAt > RECHECK_NANOS) {
            reloadIfChanged(false);
        }
        return Optional.ofNullable(credentials.byHash().get(hash(key)));
    }

    /** The owner of a client certificate (the first {@code cert} line that matches it), or empty. */
    public Optional<Entry> lookup(X509Certificate cert) {
        if (System.nanoTime() - checkedAt > RECHECK_NANOS) {
            reloadIfChanged(false);
        }
        for (CertRule rule : credentials.certs()) {
            if (rule.matches(cert)) {
                return Optional.of(rule.entry());
            }
        }
        return Optional.empty();
    }

    /** How many API keys the file configures. */
    public int size() {
        return credentials.byHash().size();
    }

    /** How many client-certificate lines the file has. */
    public int certificateLines() {
        return credentials.certs().size();
    }

    private synchronized void reloadIfChanged(boolean first) {
        checkedAt = System.nanoTime();
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            String now = modified.toMillis() + "/" + Files.size(file);
            if (now.equals(stamp)) {
                return;
            }
            credentials = parse(Files.readAllLines(file, StandardCharsets.UTF_8));
            stamp = now;
            LOG.info("API keys: " + size() + " keys and " + certificateLines() + " client-certificate lines from " + file);
        } catch (NoSuchFileException e) {
            if (first) {
                throw new IllegalStateException("imagescore.security.api-keys-file " + file + " does not exist");
            }
            LOG.warning("API keys file " + file + " disappeared; keeping the credentials read before");
        } catch (IOException | IllegalArgumentException e) {
            if (first) {
                throw new IllegalStateException("API keys file " + file + ": " + e.getMessage(), e);
            }
            LOG.log(Level.WARNING, "API keys file " + file + " not reloaded (" + e.getMessage() + "); keeping the previous keys");
        }
    }

    /** The entries of a keys file; a malformed line fails naming its number. */
    public static Credentials parse(List<String> lines) {
        Map<String, Entry> out = new HashMap<>();
        List<CertRule> certs = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                if (line.startsWith("cert ") || line.startsWith("cert\t")) {
                    // the selector is the rest of the line: a DN may contain spaces
                    String[] f = line.split("\\s+", 4);
                    if (f.length != 4) {
                        throw new IllegalArgumentException("expected 'cert <tenant> <role,role> subject=<DN>|san=<type>:<value>'");
                    }
                    certs.add(CertRule.parse(f[3].strip(), entry(f[1], f[2])));
                } else {
                    String[] f = line.split("\\s+");
                    if (f.length != 3 || !f[0].matches("[0-9a-f]{64}")) {
                        throw new IllegalArgumentException("expected '<64 hex sha256> <tenant> <role,role>'");
                    }
                    out.put(f[0], entry(f[1], f[2]));
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage());
            }
        }
        return new Credentials(Map.copyOf(out), List.copyOf(certs));
    }

    private static Entry entry(String tenant, String roleList) {
        if (!TenantNames.isValid(tenant)) {
            throw new IllegalArgumentException("invalid tenant name");
        }
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (String r : roleList.split(",")) {
            roles.add(Role.parse(r));
        }
        return new Entry(tenant, Set.copyOf(roles));
    }

    public static String hash(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fresh random key for {@code tenant} and the line to append to the keys file. */
    public static NewKey create(String tenant, Set<Role> roles) {
        TenantNames.check("tenant", tenant);
        String key = randomToken(PREFIX);
        return new NewKey(key, hash(key) + " " + tenant + " " + roleList(roles));
    }

    /** {@code prefix} and 256 random bits in base64url (43 characters): API keys, rating campaigns' rater tokens. */
    public static String randomToken(String prefix) {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    /** The line that maps {@code cert}'s subject to {@code tenant} with {@code roles}. */
    public static String certificateLine(String tenant, Set<Role> roles, X509Certificate cert) {
        TenantNames.check("tenant", tenant);
        return "cert " + tenant + " " + roleList(roles) + " subject=" + cert.getSubjectX500Principal().getName();
    }

    private static String roleList(Set<Role> roles) {
        return String.join(",", roles.stream().sorted().map(Role::id).toList());
    }
}
