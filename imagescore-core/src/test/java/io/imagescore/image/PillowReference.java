package io.imagescore.image;

import io.imagescore.testing.Shared;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Drives {@code scripts/pillow_reference.py} (Debian Pillow 9.4 under /usr/bin/python3) and reads its outputs.
 * Every test photo set lives in ../shared; the synthetic JPEGs come from the same script.
 */
final class PillowReference {
    static final String PYTHON = "/usr/bin/python3";
    static final Path SCRIPT = Path.of("scripts/pillow_reference.py");

    /**
     * One image's reference: status "ok" or Python's exception class; pixels read on demand (u8 = S×S×3 HWC,
     * f32 = CHW), so a run over thousands of photos holds one at a time.
     */
    record Ref(Path image, String status, int width, int height, Path dir, int index) {
        byte[] u8() {
            try {
                return Files.readAllBytes(dir.resolve(index + ".u8"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        float[] f32() {
            try {
                ByteBuffer fb = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(index + ".f32"))).order(ByteOrder.LITTLE_ENDIAN);
                float[] f = new float[fb.remaining() / 4];
                fb.asFloatBuffer().get(f);
                return f;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private PillowReference() {
    }

    /** every n-th file of the three photo sets (n = 1: all of them) */
    static List<Path> photos(int every) {
        List<Path> out = new ArrayList<>();
        out.addAll(everyNth(Shared.path("data/clive/images"), every));
        out.addAll(everyNth(Shared.path("data/rooms"), every));
        out.addAll(everyNth(Shared.path("data/clothing"), every));
        return out;
    }

    private static List<Path> everyNth(Path dir, int every) {
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> all = files.filter(p -> p.toString().toLowerCase().endsWith(".jpg")).sorted(Comparator.naturalOrder()).toList();
            List<Path> out = new ArrayList<>();
            for (int i = 0; i < all.size(); i += every) {
                out.add(all.get(i));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** gen-500x500.jpg, gen-1024x768.jpg, gen-4032x3024.jpg in dir (kept if already there). */
    static List<Path> generated(Path dir) {
        List<Path> files = List.of(dir.resolve("gen-500x500.jpg"), dir.resolve("gen-1024x768.jpg"), dir.resolve("gen-4032x3024.jpg"));
        if (!files.stream().allMatch(Files::exists)) {
            run(List.of(PYTHON, SCRIPT.toString(), "generate", dir.toString()), "");
        }
        return files;
    }

    static List<Ref> reference(List<Path> images, Path out, int size, String policy, boolean draft) {
        List<String> cmd = new ArrayList<>(List.of(PYTHON, SCRIPT.toString(), "reference", "--out", out.toString(),
                "--size", String.valueOf(size), "--policy", policy));
        if (draft) {
            cmd.add("--draft");
        }
        StringBuilder list = new StringBuilder();
        images.forEach(p -> list.append(p.toAbsolutePath()).append('\n'));
        run(cmd, list.toString());
        try {
            List<String> manifest = Files.readAllLines(out.resolve("manifest.tsv"));
            List<Ref> refs = new ArrayList<>();
            for (String line : manifest) {
                String[] f = line.split("\t");
                int i = Integer.parseInt(f[0]);
                refs.add(new Ref(images.get(i), f[1], Integer.parseInt(f[2]), Integer.parseInt(f[3]), out, i));
            }
            return refs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void run(List<String> cmd, String stdin) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException("reference script failed (needs " + PYTHON + " with Debian python3-pil"
                        + " and python3-numpy): " + String.join(" ", cmd) + "\n" + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
