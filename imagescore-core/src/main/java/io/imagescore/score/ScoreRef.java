package io.imagescore.score;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.tenant.TenantNames;

import java.util.Map;

/**
 * A client's reference to a score: {@code "name"} (the active version) or {@code "name@version"}. The one parser of
 * that form: the name follows the naming rule of {@link TenantNames}, the version the version rule (a positive whole
 * number), so {@code "quality@"}, {@code "quality@x"}, {@code "quality@99999999999"} and {@code "@1"} are
 * INVALID_REQUEST, never a NumberFormatException or a lookup of a path-like string.
 *
 * @param version null when the reference names no version
 */
public record ScoreRef(String name, String version) {

    public static ScoreRef parse(String ref) {
        if (ref == null || ref.isEmpty()) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "a score reference is empty; expected \"name\" or \"name@version\"",
                    Map.of("field", "score", "rule", "score_ref"), null);
        }
        int at = ref.indexOf('@');
        if (at < 0) {
            return new ScoreRef(TenantNames.check("score", ref), null);
        }
        String name = TenantNames.check("score", ref.substring(0, at));
        String version = ref.substring(at + 1);
        if (!TenantNames.isValidVersion(version)) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "score " + TenantNames.quote(ref) + ": the version after '@' "
                    + TenantNames.VERSION_RULE, Map.of("field", "score", "rule", "version"), null);
        }
        return new ScoreRef(name, version);
    }

    public boolean hasVersion() {
        return version != null;
    }

    @Override
    public String toString() {
        return version == null ? name : name + "@" + version;
    }
}
