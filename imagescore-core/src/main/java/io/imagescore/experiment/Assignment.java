package io.imagescore.experiment;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Stable assignment of units (users, listings, sessions) to variants: u = the first 53 bits of
 * sha256(salt ‖ 0x00 ‖ unit id) as a fraction in [0, 1), then the variant whose cumulative weight share first exceeds
 * u. The same unit and salt always get the same variant, on every replica and in every client that implements this
 * rule; a new salt reshuffles.
 */
public final class Assignment {
    private Assignment() {
    }

    /** The index of the variant {@code unitId} falls into, given the variants' weights (> 0). */
    public static int assign(String unitId, String salt, List<Double> weights) {
        double total = 0;
        for (double w : weights) {
            if (!(w > 0) || Double.isInfinite(w)) {
                throw new IllegalArgumentException("weights must be finite and > 0, got " + weights);
            }
            total += w;
        }
        double u = unit(unitId, salt) * total;
        double cumulative = 0;
        for (int i = 0; i < weights.size(); i++) {
            cumulative += weights.get(i);
            if (u < cumulative) {
                return i;
            }
        }
        return weights.size() - 1; // u within rounding of the total
    }

    /** The unit's uniform draw in [0, 1). */
    static double unit(String unitId, String salt) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(salt.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            long bits = ByteBuffer.wrap(sha.digest(unitId.getBytes(StandardCharsets.UTF_8))).getLong();
            return (bits >>> 11) * 0x1.0p-53;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
