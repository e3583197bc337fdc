package io.imagescore.image;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import javax.imageio.ImageIO;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Encoded bytes → normalised CHW float tensors for each requested view.
 * First version (foundation issue): ImageIO decode and Java2D bicubic resize. The preprocessing issue replaces the
 * internals (Pillow-exact resampler, libjpeg-turbo, limits, EXIF) behind this same interface.
 */
public class Preprocessor {

    public PreprocessedImage preprocess(byte[] encoded, PreprocessSpec spec, List<View> views, PreprocessMode mode) {
        if (encoded == null || encoded.length == 0) {
            throw new ImageScoreException(ErrorCode.EMPTY_IMAGE, "image has no bytes");
        }
        BufferedImage decoded;
        try {
            decoded = ImageIO.read(new ByteArrayInputStream(encoded));
        } catch (IOException | RuntimeException e) {
            throw new ImageScoreException(ErrorCode.CORRUPT_IMAGE, "image could not be decoded: " + e.getMessage(), e);
        }
        if (decoded == null) {
            throw new ImageScoreException(ErrorCode.UNSUPPORTED_FORMAT, "not a supported image format (" + encoded.length + " bytes)");
        }
        BufferedImage rgb = toRgb(decoded);
        Map<View, List<float[]>> out = new EnumMap<>(View.class);
        int s = spec.size();
        for (View view : views) {
            List<float[]> tensors = new ArrayList<>(view.tensorCount());
            boolean flip = view.name().endsWith("_FLIP");
            switch (view) {
                case CENTER, CENTER_FLIP -> tensors.add(toTensor(centre(rgb, spec), spec, flip));
                case WHOLE, WHOLE_FLIP -> tensors.add(toTensor(resize(rgb, s, s), spec, flip));
                case GRID3, GRID3_FLIP -> {
                    BufferedImage base = Math.min(rgb.getWidth(), rgb.getHeight()) < s ? resizeShortSide(rgb, s) : rgb;
                    for (int gy = 0; gy < 3; gy++) {
                        for (int gx = 0; gx < 3; gx++) {
                            int x = (base.getWidth() - s) * gx / 2;
                            int y = (base.getHeight() - s) * gy / 2;
                            tensors.add(toTensor(base.getSubimage(x, y, s, s), spec, flip));
                        }
                    }
                }
            }
            out.put(view, tensors);
        }
        return new PreprocessedImage(rgb.getWidth(), rgb.getHeight(), out);
    }

    /** Identifies the pixel pipeline (implementation + spec + mode); heads are tied to it. */
    public String preprocessingId(PreprocessSpec spec, PreprocessMode mode) {
        return "imageio-java2d-v1/" + spec.id() + "/" + mode.name().toLowerCase();
    }

    private static BufferedImage centre(BufferedImage img, PreprocessSpec spec) {
        int s = spec.size();
        return switch (spec.resize()) {
            case SQUASH -> resize(img, s, s);
            case CLIP -> {
                BufferedImage r = resizeShortSide(img, s);
                yield r.getSubimage((r.getWidth() - s) / 2, (r.getHeight() - s) / 2, s, s);
            }
            case LETTERBOX -> {
                double scale = (double) s / Math.max(img.getWidth(), img.getHeight());
                int w = Math.max(1, (int) Math.round(img.getWidth() * scale));
                int h = Math.max(1, (int) Math.round(img.getHeight() * scale));
                BufferedImage canvas = new BufferedImage(s, s, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = canvas.createGraphics();
                g.setColor(java.awt.Color.BLACK);
                g.fillRect(0, 0, s, s);
                g.drawImage(resize(img, w, h), (s - w) / 2, (s - h) / 2, null);
                g.dispose();
                yield canvas;
            }
        };
    }

    private static BufferedImage resizeShortSide(BufferedImage img, int s) {
        int w = img.getWidth();
        int h = img.getHeight();
        if (w <= h) {
            return resize(img, s, (int) ((long) h * s / w));
        }
        return resize(img, (int) ((long) w * s / h), s);
    }

    private static BufferedImage resize(BufferedImage img, int w, int h) {
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
        g.drawImage(img, 0, 0, w, h, null);
        g.dispose();
        return out;
    }

    private static BufferedImage toRgb(BufferedImage img) {
        if (img.getType() == BufferedImage.TYPE_INT_RGB) {
            return img;
        }
        BufferedImage out = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.drawImage(img, 0, 0, null);
        g.dispose();
        return out;
    }

    private static float[] toTensor(BufferedImage img, PreprocessSpec spec, boolean flip) {
        int s = spec.size();
        int plane = s * s;
        float[] t = new float[3 * plane];
        int[] row = new int[s];
        boolean bgr = spec.colorOrder() == PreprocessSpec.ColorOrder.BGR;
        float[] mean = spec.mean();
        float[] std = spec.std();
        for (int y = 0; y < s; y++) {
            img.getRGB(0, y, s, 1, row, 0, s);
            for (int x = 0; x < s; x++) {
                int p = row[flip ? s - 1 - x : x];
                float r = ((p >> 16) & 0xff) / 255f;
                float gch = ((p >> 8) & 0xff) / 255f;
                float b = (p & 0xff) / 255f;
                int i = y * s + x;
                t[i] = ((bgr ? b : r) - mean[0]) / std[0];
                t[plane + i] = (gch - mean[1]) / std[1];
                t[2 * plane + i] = ((bgr ? r : b) - mean[2]) / std[2];
            }
        }
        return t;
    }
}
