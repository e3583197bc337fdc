package io.imagescore.cli;

import io.imagescore.explain.Explanation;
import io.imagescore.image.RgbImage;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.Locale;

/**
 * Draws an {@link Explanation} over its photo: the centred map (cell minus the image's mean cell) on a diverging
 * scale, red where a region raises the score above the photo's average region, blue where it lowers it, opacity
 * growing with magnitude; a colour bar with the scale's ends in the score's units per cell below.
 */
public final class Overlay {
    private static final int BAR = 46;

    private Overlay() {
    }

    /** The photo scaled so its long side is {@code maxSide}, with the heat map and colour bar. */
    public static BufferedImage render(RgbImage photo, Explanation e, int maxSide) {
        double f = Math.min(1.0, (double) maxSide / Math.max(photo.width(), photo.height()));
        int w = Math.max(1, (int) Math.round(photo.width() * f));
        int h = Math.max(1, (int) Math.round(photo.height() * f));
        BufferedImage out = new BufferedImage(w, h + BAR, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.drawImage(toBuffered(photo), 0, 0, w, h, null);
        float[] c = e.rows() == 0 ? new float[0] : e.centred();
        double max = 0;
        for (float v : c) {
            max = Math.max(max, Math.abs(v));
        }
        if (c.length > 0 && max > 0) {
            BufferedImage heat = new BufferedImage(e.cols(), e.rows(), BufferedImage.TYPE_INT_ARGB);
            for (int r = 0; r < e.rows(); r++) {
                for (int col = 0; col < e.cols(); col++) {
                    heat.setRGB(col, r, colour(c[r * e.cols() + col] / max, 0.75).getRGB());
                }
            }
            g.drawImage(heat, 0, 0, w, h, null);
        }
        g.setColor(Color.WHITE);
        g.fillRect(0, h, w, BAR);
        for (int x = 0; x < w; x++) {
            g.setColor(colour(2.0 * x / Math.max(1, w - 1) - 1, 1.0));
            g.drawLine(x, h + 4, x, h + 18);
        }
        g.setColor(Color.DARK_GRAY);
        g.setStroke(new BasicStroke(1));
        g.drawRect(0, h + 4, w - 1, 14);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        String title = e.score() + (e.target().isEmpty() ? "" : " → " + e.target()) + "  " + e.method();
        if (c.length > 0) {
            String lo = String.format(Locale.ROOT, "−%.3g", max);
            String hi = String.format(Locale.ROOT, "+%.3g", max);
            g.drawString(lo, 2, h + 31);
            g.drawString(hi, w - g.getFontMetrics().stringWidth(hi) - 2, h + 31);
            g.drawString("0", w / 2 - 3, h + 31);
        }
        g.drawString(title, 2, h + 43);
        g.dispose();
        return out;
    }

    /** t ∈ [−1, 1] → blue (−1) … transparent white (0) … red (+1); alpha = |t|·maxAlpha (opaque for the bar). */
    static Color colour(double t, double maxAlpha) {
        t = Math.max(-1, Math.min(1, t));
        double a = Math.abs(t);
        int fade = (int) Math.round(255 * (1 - a));
        Color base = t >= 0 ? new Color(255, fade, fade) : new Color(fade, fade, 255);
        int alpha = maxAlpha >= 1 ? 255 : (int) Math.round(255 * maxAlpha * Math.sqrt(a));
        return new Color(base.getRed(), base.getGreen(), base.getBlue(), alpha);
    }

    static BufferedImage toBuffered(RgbImage img) {
        BufferedImage b = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_INT_RGB);
        byte[] p = img.pixels();
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0, o = y * img.stride(); x < img.width(); x++, o += 3) {
                b.setRGB(x, y, ((p[o] & 0xff) << 16) | ((p[o + 1] & 0xff) << 8) | (p[o + 2] & 0xff));
            }
        }
        return b;
    }
}
