package io.imagescore.store;

import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class Sha256Test {

    private static String jdk(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    @Test
    void libcrypto_is_used_where_it_is_installed() {
        // the machines here (and the JVM image's Ubuntu base) have OpenSSL 3; without it start-up is ~0.6 s slower
        boolean installed = List.of(Path.of("/lib/x86_64-linux-gnu", Sha256.LIBRARY), Path.of("/usr/lib/x86_64-linux-gnu",
                Sha256.LIBRARY), Path.of("/usr/lib64", Sha256.LIBRARY)).stream().anyMatch(Files::exists);
        assertThat(Sha256.instance().isNative()).isEqualTo(installed);
    }

    @Test
    void native_and_jdk_digests_equal_the_reference_for_every_length_around_the_read_chunk(@TempDir Path dir) throws Exception {
        Random random = new Random(23);
        int c = Sha256.CHUNK;
        for (int size : new int[]{0, 1, 55, 64, 65, c - 1, c, c + 1, 3 * c + 17}) {
            byte[] data = new byte[size];
            random.nextBytes(data);
            Path f = Files.write(dir.resolve("f" + size), data);
            String expected = jdk(data);
            for (Sha256 sha : List.of(Sha256.instance(), Sha256.jdk(), Sha256.using("libnot-there.so.3"))) {
                assertThat(sha.fileHex(f)).as("file of %d bytes, native %s", size, sha.isNative()).isEqualTo(expected);
                assertThat(sha.hex(data)).as("array of %d bytes, native %s", size, sha.isNative()).isEqualTo(expected);
            }
        }
        assertThat(Sha256.using("libnot-there.so.3").isNative()).isFalse();
    }

    @Test
    void the_published_test_vector_and_the_default_packs_model() throws Exception {
        assertThat(Sha256.instance().hex("abc".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        Path model = Shared.root().resolve("packs/mobilenetv2-default/models/mobilenetv2-12-int8-spatial.onnx");
        assertThat(Sha256.instance().fileHex(model)).isEqualTo(jdk(Files.readAllBytes(model)));
    }
}
