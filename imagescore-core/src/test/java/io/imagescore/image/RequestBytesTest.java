package io.imagescore.image;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.score.ImageInput;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request's image bytes are read in place (issue 25: no second copy): the protobuf ByteString's buffer reaches the
 * decoders without a copy and gives exactly the pixels of the byte[] path.
 */
class RequestBytesTest {
    static final PreprocessSpec CLIP = PillowParityTest.spec(PreprocessSpec.ResizePolicy.CLIP);
    static final List<View> VIEWS = List.of(View.CENTER, View.GRID3);
    final Preprocessor preprocessor = new Preprocessor();

    @Test
    void parsedRequestBytesGiveTheSamePixelsAsAnArray() throws Exception {
        byte[] jpeg = Shared.bytes("data/clive/images/1000.JPG");
        byte[] png = PreprocessorViewsTest.coordinates(); // ImageIO path, IHDR header read
        ScoreRequest parsed = ScoreRequest.parseFrom(ScoreRequest.newBuilder()
                .addImages(io.imagescore.api.v1.ImageInput.newBuilder().setId("j").setData(ByteString.copyFrom(jpeg)))
                .addImages(io.imagescore.api.v1.ImageInput.newBuilder().setId("p").setData(ByteString.copyFrom(png)))
                .build().toByteArray());
        for (int i = 0; i < 2; i++) {
            byte[] array = i == 0 ? jpeg : png;
            ImageInput input = ImageInput.of("x", parsed.getImages(i).getData());
            assertSamePixels(array, input.data());
        }
        // a slice at an offset inside a bigger buffer (ByteString.substring), and a direct buffer (NioByteString)
        byte[] padded = new byte[jpeg.length + 10];
        System.arraycopy(jpeg, 0, padded, 7, jpeg.length);
        assertSamePixels(jpeg, ImageInput.of("x", ByteString.copyFrom(padded).substring(7, 7 + jpeg.length)).data());
        ByteBuffer direct = ByteBuffer.allocateDirect(jpeg.length).put(jpeg).flip();
        assertSamePixels(jpeg, ImageInput.of("x", UnsafeByteOperations.unsafeWrap(direct)).data());
    }

    private void assertSamePixels(byte[] array, ByteBuffer buffer) {
        assertThat(preprocessor.pixelCost(buffer)).isEqualTo(preprocessor.pixelCost(array));
        assertThat(ScoringPipeline.sha256(buffer)).isEqualTo(ScoringPipeline.sha256(array));
        for (PreprocessMode mode : PreprocessMode.values()) {
            PreprocessedImage a = preprocessor.preprocess(array, CLIP, VIEWS, mode);
            PreprocessedImage b = preprocessor.preprocess(buffer, CLIP, VIEWS, mode, StageClock.NONE);
            assertThat(b.width()).isEqualTo(a.width());
            assertThat(b.height()).isEqualTo(a.height());
            for (View v : VIEWS) {
                for (int t = 0; t < a.views().get(v).size(); t++) {
                    assertThat(b.views().get(v).get(t)).as("%s %s tensor %d", mode, v, t).isEqualTo(a.views().get(v).get(t));
                }
            }
        }
        assertThat(buffer.position()).as("the caller's buffer is not moved").isZero();
    }

    /** A JPEG that compresses badly (random pixels), so its size dwarfs the small bookkeeping allocations. */
    static byte[] noisyJpeg(int w, int h) {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.util.Random random = new java.util.Random(25);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return ImageCorpusTest.encode(img, "jpg");
    }

    @Test
    void theRequestBufferIsNotCopied() {
        byte[] jpeg = Shared.bytes("data/clive/images/1000.JPG");
        byte[] mine = jpeg.clone();
        ImageInput input = ImageInput.of("x", UnsafeByteOperations.unsafeWrap(mine));
        mine[100] ^= 0x55; // visible through the input only if it shares the array
        assertThat(input.data().get(100)).isEqualTo(mine[100]);
        assertThat(input.data().isReadOnly()).isTrue();

        // admission (header) and the content hash allocate nothing near the image's size
        ByteString big = ByteString.copyFrom(noisyJpeg(1600, 1200));
        assertThat(big.size()).isGreaterThan(500_000);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ImageInput warm = ImageInput.of("w", big);
        preprocessor.pixelCost(warm.data());
        ScoringPipeline.sha256(warm.data());
        long before = threads.getCurrentThreadAllocatedBytes();
        ImageInput in = ImageInput.of("x", big);
        long pixels = preprocessor.pixelCost(in.data());
        String sha = ScoringPipeline.sha256(in.data());
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(pixels).isPositive();
        assertThat(sha).hasSize(64);
        assertThat(allocated).as("bytes allocated for a %d-byte image", big.size()).isLessThan(big.size() / 4);
    }
}
