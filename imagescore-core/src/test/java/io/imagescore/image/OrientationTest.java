package io.imagescore.image;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The orientation tag through TwelveMonkeys' TIFF reader: both byte orders, SHORT and LONG values, the tag behind
 * other entries, and the malformed cases the hand-written parser it replaced treated as "no rotation"
 * (ImageCorpusTest covers the containers: JPEG APP1 incl. a 64 KB block, PNG eXIf, WebP EXIF).
 */
class OrientationTest {

    /** A TIFF header + IFD0 with a leading ImageWidth entry and the orientation entry (type 3 SHORT or 4 LONG). */
    static byte[] tiff(ByteOrder order, int type, int value) {
        ByteBuffer b = ByteBuffer.allocate(8 + 2 + 2 * 12 + 4).order(order);
        b.put(order == ByteOrder.LITTLE_ENDIAN ? (byte) 'I' : (byte) 'M').put(order == ByteOrder.LITTLE_ENDIAN ? (byte) 'I' : (byte) 'M');
        b.putShort((short) 42).putInt(8);
        b.putShort((short) 2);
        b.putShort((short) 0x0100).putShort((short) 3).putInt(1).putShort((short) 640).putShort((short) 0);
        b.putShort((short) 0x0112).putShort((short) type).putInt(1);
        if (type == 3) {
            b.putShort((short) value).putShort((short) 0);
        } else {
            b.putInt(value);
        }
        b.putInt(0);
        return b.array();
    }

    @Test
    void every_orientation_in_both_byte_orders_as_short_and_long() {
        for (ByteOrder order : new ByteOrder[]{ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
            for (int type : new int[]{3, 4}) {
                for (int o = 1; o <= 8; o++) {
                    byte[] t = tiff(order, type, o);
                    assertThat(Orientation.fromTiff(t, 0, t.length)).as("%s type %d orientation %d", order, type, o).isEqualTo(o);
                }
            }
        }
    }

    @Test
    void out_of_range_truncated_and_garbage_mean_no_rotation() {
        byte[] nine = tiff(ByteOrder.BIG_ENDIAN, 3, 9);
        assertThat(Orientation.fromTiff(nine, 0, nine.length)).isEqualTo(Orientation.NORMAL);
        byte[] six = tiff(ByteOrder.LITTLE_ENDIAN, 3, 6);
        assertThat(Orientation.fromTiff(six, 0, 9)).as("cut inside the IFD").isEqualTo(Orientation.NORMAL);
        byte[] garbage = "not a tiff structure at all".getBytes();
        assertThat(Orientation.fromTiff(garbage, 0, garbage.length)).isEqualTo(Orientation.NORMAL);
        byte[] offset = tiff(ByteOrder.BIG_ENDIAN, 3, 6);
        byte[] shifted = new byte[offset.length + 5];
        System.arraycopy(offset, 0, shifted, 5, offset.length);
        assertThat(Orientation.fromTiff(shifted, 5, shifted.length)).as("structure at an offset in the buffer").isEqualTo(6);
    }
}
