package io.imagescore.tenant;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * API keys as a file of hash lines, never the keys themselves: {@code <sha256 hex of the key> <tenant> <role,role>}
 * (blank lines and {@code #} comments allowed). A key is 256 random bits ({@code isk_} + 43 base64url characters), so
 * an unsalted SHA-256 is enough: there is nothing to guess a dictionary for. The file (or a mounted Kubernetes secret)
 * is re-read when its modification time or size changes, at most once per {@link #RECHECK_NANOS}; a file that fails to
 * parse keeps the previous keys and logs the line at fault.
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

    private final Path file;
    private volatile Map<String, Entry> byHash = Map.of();
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
        return Optional.ofNullable(byHash.get(hash(key)));
    }

    public int size() {
        return byHash.size();
    }

    private synchronized void reloadIfChanged(boolean first) {
        checkedAt = System.nanoTime();
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            String now = modified.toMillis() + "/" + Files.size(file);
            if (now.equals(stamp)) {
                return;
            }
            byHash = parse(Files.readAllLines(file, StandardCharsets.UTF_8));
            stamp = now;
            LOG.info("API keys: " + byHash.size() + " keys from " + file);
        } catch (NoSuchFileException e) {
            if (first) {
                throw new IllegalStateException("imagescore.security.api-keys-file " + file + " does not exist");
            }
            LOG.warning("API keys file " + file + " disappeared; keeping the " + byHash.size() + " keys read before");
        } catch (IOException | IllegalArgumentException e) {
            if (first) {
                throw new IllegalStateException("API keys file " + file + ": " + e.getMessage(), e);
            }
            LOG.log(Level.WARNING, "API keys file " + file + " not reloaded (" + e.getMessage() + "); keeping the previous keys");
        }
    }

    /** The entries of a keys file, by key hash; a malformed line fails naming its number. */
    public static Map<String, Entry> parse(List<String> lines) {
        Map<String, Entry> out = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+");
            if (f.length != 3 || !f[0].matches("[0-9a-f]{64}") || !TenantNames.isValid(f[1])) {
                throw new IllegalArgumentException("line " + (i + 1) + ": expected '<64 hex sha256> <tenant> <role,role>'");
            }
            Set<Role> roles = EnumSet.noneOf(Role.class);
            for (String r : f[2].split(",")) {
                roles.add(Role.parse(r));
            }
            out.put(f[0], new Entry(f[1], Set.copyOf(roles)));
        }
        return Map.copyOf(out);
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
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String key = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        String roleList = String.join(",", roles.stream().sorted().map(Role::id).toList());
        return new NewKey(key, hash(key) + " " + tenant + " " + roleList);
    }
}
