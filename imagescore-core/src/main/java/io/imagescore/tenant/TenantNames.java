package io.imagescore.tenant;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * The one naming rule for names a client sends: tenants, prompt sets, regulations, packs, scores / heads, and the
 * rule for versions. Tenant and configuration names become directory names, so a strict ASCII pattern keeps them safe
 * ("..", "/", NUL, control characters, look-alike letters impossible), the length limit keeps them within file-name
 * limits, and lowercase keeps two names from meeting in one directory on a case-insensitive file system.
 * Every RPC that takes a name checks it here before using it; a bad one is INVALID_REQUEST (INVALID_ARGUMENT) with
 * metadata {@code field} and {@code rule}.
 */
public final class TenantNames {
    /** The tenant of requests that name none. */
    public static final String DEFAULT_TENANT = "default";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    /** A version: a positive decimal number without leading zeros, at most 9 digits (fits an int). */
    private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,8}");
    public static final String NAME_RULE = "must be 1-64 characters: lowercase ASCII letters, digits, '.', '_' or '-', "
            + "starting with a letter or digit";
    public static final String VERSION_RULE = "must be a positive whole number of at most 9 digits without leading zeros";
    private static final int ECHO_LIMIT = 64;

    private TenantNames() {
    }

    public static String tenantOrDefault(String tenant) {
        return tenant == null || tenant.isEmpty() ? DEFAULT_TENANT : tenant;
    }

    public static boolean isValid(String id) {
        return id != null && NAME.matcher(id).matches();
    }

    public static boolean isValidVersion(String version) {
        return version != null && VERSION.matcher(version).matches();
    }

    /** Returns {@code id}, or fails with INVALID_REQUEST naming {@code what} (e.g. "tenant", "regulation name"). */
    public static String check(String what, String id) {
        if (!isValid(id)) {
            throw invalid(what, id, NAME_RULE, "name");
        }
        return id;
    }

    /** {@link #check} for a name that may be left empty (meaning a default); returns it unchanged. */
    public static String checkOptional(String what, String id) {
        return id == null || id.isEmpty() ? id : check(what, id);
    }

    /** The tenant of a request (empty = {@link #DEFAULT_TENANT}), checked. */
    public static String tenant(String tenant) {
        return check("tenant", tenantOrDefault(tenant));
    }

    /** Returns {@code version}, or fails with INVALID_REQUEST naming {@code what} (e.g. "prompt_set_version"). */
    public static String checkVersion(String what, String version) {
        if (!isValidVersion(version)) {
            throw invalid(what, version, VERSION_RULE, "version");
        }
        return version;
    }

    /** {@link #checkVersion} for a version that may be left empty (meaning the active / newest one). */
    public static String checkOptionalVersion(String what, String version) {
        return version == null || version.isEmpty() ? version : checkVersion(what, version);
    }

    private static ImageScoreException invalid(String what, String value, String rule, String ruleName) {
        return new ImageScoreException(ErrorCode.INVALID_REQUEST, what + " " + quote(value) + " " + rule,
                Map.of("field", what, "rule", ruleName), null);
    }

    /**
     * A client value made safe to echo in a message: quoted, anything but printable ASCII written as \\uXXXX, and cut
     * after 64 characters (with the full length named), so a 10 KB or control-character name cannot bloat or garble a
     * message or a log line.
     */
    public static String quote(String value) {
        if (value == null) {
            return "(none)";
        }
        StringBuilder sb = new StringBuilder("'");
        int n = Math.min(value.length(), ECHO_LIMIT);
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                sb.append(c);
            } else {
                sb.append(String.format("\\u%04x", (int) c));
            }
        }
        sb.append('\'');
        if (value.length() > ECHO_LIMIT) {
            sb.append("… (").append(value.length()).append(" characters)");
        }
        return sb.toString();
    }
}
