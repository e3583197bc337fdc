package io.imagescore.consistency;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The int8 encoder's features equal, bit for bit, the rows recorded on an AVX-512 VNNI CPU — on whatever CPU this
 * runs. Before the u8u8 rewrite (UnsignedInt8Weights) this failed on AVX2 CPUs without VNNI (checked under
 * {@code qemu-x86_64 -cpu Haswell}: the kitchen photo's features moved by up to 1.6).
 */
class CpuIndependentFeaturesTest {

    @Test
    void the_40_reference_photos_get_the_recorded_features_bit_for_bit() throws Exception {
        CpuReference.Comparison c = CpuReference.compare(Integer.MAX_VALUE);
        assertThat(c.ids()).hasSize(40);
        assertThat(c.maxAbsDiff()).isZero();
        assertThat(c.differingValues()).isZero();
    }
}
