package io.imagescore.tenant;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * The one naming rule for a tenant's stored configuration (prompt sets, regulations): tenant and configuration names
 * become directory names, so a strict pattern keeps them safe ("..", "/" impossible), and lowercase keeps two names
 * from meeting in one directory on a case-insensitive file system.
 */
public final class TenantNames {
    /** The tenant of requests that name none. */
    public static final String DEFAULT_TENANT = "default";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    private TenantNames() {
    }

    public static String tenantOrDefault(String tenant) {
        return tenant == null || tenant.isEmpty() ? DEFAULT_TENANT : tenant;
    }

    public static boolean isValid(String id) {
        return id != null && NAME.matcher(id).matches();
    }

    /** Returns {@code id}, or fails with INVALID_REQUEST naming {@code what} (e.g. "tenant", "regulation name"). */
    public static String check(String what, String id) {
        if (!isValid(id)) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, what + " '" + id + "' must be 1-64 lowercase letters, "
                    + "digits, '.', '_' or '-', starting with a letter or digit", Map.of("field", what), null);
        }
        return id;
    }

    /** {@code id} as it may appear in an error message: at most 64 characters, control characters escaped. */
    public static String printable(String id) {
        String cut = id.length() > 64 ? id.substring(0, 64) + "…" : id;
        StringBuilder b = new StringBuilder();
        cut.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }
}
