package io.imagescore.fit;

import io.imagescore.head.Calibration;

import java.util.ArrayList;
import java.util.List;

/** Fits a {@link Calibration} of raw head outputs onto targets: least-squares line, or isotonic (pool adjacent violators). */
public final class Calibrate {
    public enum Method { NONE, LINEAR, ISOTONIC }

    private Calibrate() {
    }

    public static Calibration fit(Method method, double[] raw, double[] target) {
        return switch (method) {
            case NONE -> null;
            case LINEAR -> linear(raw, target);
            case ISOTONIC -> isotonic(raw, target);
        };
    }

    static Calibration.Linear linear(double[] x, double[] y) {
        double mx = 0;
        double my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= x.length;
        my /= x.length;
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        double a = sxx == 0 ? 0 : sxy / sxx;
        return new Calibration.Linear(a, my - a * mx);
    }

    /**
     * Pool-adjacent-violators on the points sorted by raw value (equal raw values pooled first); each final block
     * becomes knots at its smallest and largest raw value with the block's mean target.
     */
    static Calibration.Isotonic isotonic(double[] x, double[] y) {
        Integer[] order = new Integer[x.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> x[a] != x[b] ? Double.compare(x[a], x[b]) : Integer.compare(a, b));
        List<double[]> blocks = new ArrayList<>(); // {sum, count, xmin, xmax}
        for (int k = 0; k < order.length; k++) {
            int i = order[k];
            double[] last = blocks.isEmpty() ? null : blocks.getLast();
            if (last != null && last[3] == x[i]) {
                last[0] += y[i];
                last[1] += 1;
            } else {
                blocks.add(new double[] {y[i], 1, x[i], x[i]});
            }
            while (blocks.size() > 1) {
                double[] b = blocks.getLast();
                double[] a = blocks.get(blocks.size() - 2);
                if (a[0] / a[1] <= b[0] / b[1]) {
                    break;
                }
                a[0] += b[0];
                a[1] += b[1];
                a[3] = b[3];
                blocks.removeLast();
            }
        }
        List<double[]> knots = new ArrayList<>();
        for (double[] b : blocks) {
            knots.add(new double[] {b[2], b[0] / b[1]});
            if (b[3] > b[2]) {
                knots.add(new double[] {b[3], b[0] / b[1]});
            }
        }
        double[] kx = new double[knots.size()];
        double[] ky = new double[knots.size()];
        for (int i = 0; i < kx.length; i++) {
            kx[i] = knots.get(i)[0];
            ky[i] = knots.get(i)[1];
        }
        return new Calibration.Isotonic(kx, ky);
    }
}
