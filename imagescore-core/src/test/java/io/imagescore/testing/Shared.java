package io.imagescore.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test access to ../shared (the surefire property imagescore.shared) and its .npy fixtures. */
public final class Shared {
    private Shared() {
    }

    public static Path dir() {
        return Path.of(System.getProperty("imagescore.shared", "../shared")).toAbsolutePath().normalize();
    }

    /**
     * The repository root (the surefire property imagescore.root): packs/, deploy/, proto/. The server's tests run in
     * imagescore-server/ (a Quarkus test needs its module as working directory); the other modules' in the root.
     */
    public static Path root() {
        return Path.of(System.getProperty("imagescore.root", ".")).toAbsolutePath().normalize();
    }

    /** The default pack's encoder (the shared MobileNetV2 with its added spatial output), as the embedded backend runs it. */
    public static Path defaultPackEncoder() {
        return root().resolve("packs/mobilenetv2-default/models/mobilenetv2-12-int8-spatial.onnx");
    }

    /**
     * The default pack's Triton model: the encoder with the UINT8 input {@code pixels} it normalises inside its graph
     * ({@code scripts/add_uint8_input.py}), as Triton test servers serve it.
     */
    public static Path defaultPackTritonModel() {
        return root().resolve("packs/mobilenetv2-default/models/mobilenetv2-12-int8-spatial-u8.onnx");
    }

    /** The default pack's mirrored Triton model (outputs [N, 2, …]: each view as sent and mirrored). */
    public static Path defaultPackMirroredTritonModel() {
        return root().resolve("packs/mobilenetv2-default/models/mobilenetv2-12-int8-spatial-u8-mirrored.onnx");
    }

    public static Path path(String relative) {
        return dir().resolve(relative);
    }

    public static byte[] bytes(String relative) {
        try {
            return Files.readAllBytes(path(relative));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a little-endian float32 C-order .npy file (format version 1/2): the data, flattened. */
    public static float[] npyFloats(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (b[0] != (byte) 0x93 || !new String(b, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new IOException(file + " is not a .npy file");
        }
        int major = b[6];
        int headerLen = major == 1 ? Short.toUnsignedInt(buf.getShort(8)) : buf.getInt(8);
        int start = (major == 1 ? 10 : 12) + headerLen;
        String header = new String(b, major == 1 ? 10 : 12, headerLen, StandardCharsets.US_ASCII);
        if (!header.contains("'<f4'") || header.contains("'fortran_order': True")) {
            throw new IOException(file + ": only little-endian float32 C-order arrays are supported: " + header);
        }
        float[] out = new float[(b.length - start) / 4];
        buf.position(start);
        buf.asFloatBuffer().get(out);
        return out;
    }
}
