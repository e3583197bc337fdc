package io.imagescore.head;

import java.util.Arrays;

/**
 * A monotone map from a regression head's raw output onto a client's scale (e.g. 1–4 or 0–100), declared in
 * head.json as {@code "calibration": {"type": "linear", "scale": a, "offset": b}} or
 * {@code {"type": "isotonic", "x": [...], "y": [...]}} (knots, linear between them, constant beyond the ends).
 */
public sealed interface Calibration permits Calibration.Linear, Calibration.Isotonic {

    double apply(double raw);

    String type();

    record Linear(double scale, double offset) implements Calibration {
        public Linear {
            if (!Double.isFinite(scale) || !Double.isFinite(offset)) {
                throw new IllegalArgumentException("linear calibration needs finite scale and offset");
            }
        }

        @Override
        public double apply(double raw) {
            return scale * raw + offset;
        }

        @Override
        public String type() {
            return "linear";
        }
    }

    record Isotonic(double[] x, double[] y) implements Calibration {
        public Isotonic {
            if (x.length == 0 || x.length != y.length) {
                throw new IllegalArgumentException("isotonic calibration needs as many x as y knots, at least one");
            }
            for (int i = 1; i < x.length; i++) {
                if (!(x[i] > x[i - 1]) || y[i] < y[i - 1]) {
                    throw new IllegalArgumentException("isotonic calibration knots must have increasing x and non-decreasing y");
                }
            }
            x = x.clone();
            y = y.clone();
        }

        @Override
        public double apply(double raw) {
            if (raw <= x[0]) {
                return y[0];
            }
            if (raw >= x[x.length - 1]) {
                return y[y.length - 1];
            }
            int i = Arrays.binarySearch(x, raw);
            if (i >= 0) {
                return y[i];
            }
            int hi = -i - 1;
            int lo = hi - 1;
            double t = (raw - x[lo]) / (x[hi] - x[lo]);
            return y[lo] + t * (y[hi] - y[lo]);
        }

        @Override
        public String type() {
            return "isotonic";
        }
    }
}
