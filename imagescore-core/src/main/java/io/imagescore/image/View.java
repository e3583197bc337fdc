package io.imagescore.image;

import java.util.Locale;

/**
 * One view of an image that the encoder sees; the embeddings of several views are averaged.
 * {@code CENTER}: the pack's resize policy (e.g. CLIP: short side to S, centre crop). {@code WHOLE}: the whole image
 * squashed to S×S. {@code GRID3}: a 3×3 grid of S×S crops at native resolution (no resize; quality needs native
 * pixels). {@code *_FLIP}: the same, mirrored horizontally.
 */
public enum View {
    CENTER, CENTER_FLIP, WHOLE, WHOLE_FLIP, GRID3, GRID3_FLIP;

    /** Number of S×S tensors this view produces. */
    public int tensorCount() {
        return this == GRID3 || this == GRID3_FLIP ? 9 : 1;
    }

    /** Whether the view crops at the photo's native resolution (then it cannot use a DCT-scaled decode). */
    public boolean nativeResolution() {
        return this == GRID3 || this == GRID3_FLIP;
    }

    /** Whether this is a {@code *_FLIP} view: its base view's pixels mirrored left-right. */
    public boolean isFlip() {
        return this == CENTER_FLIP || this == WHOLE_FLIP || this == GRID3_FLIP;
    }

    /** The {@code *_FLIP} view of a base view (CENTER → CENTER_FLIP); null for a flip view. */
    public View flipped() {
        return switch (this) {
            case CENTER -> CENTER_FLIP;
            case WHOLE -> WHOLE_FLIP;
            case GRID3 -> GRID3_FLIP;
            default -> null;
        };
    }

    /** The base view of a {@code *_FLIP} view (CENTER_FLIP → CENTER); a base view itself. */
    public View base() {
        return switch (this) {
            case CENTER_FLIP -> CENTER;
            case WHOLE_FLIP -> WHOLE;
            case GRID3_FLIP -> GRID3;
            default -> this;
        };
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static View parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown view '" + s + "'; known: center, center_flip, whole, whole_flip, grid3, grid3_flip");
        }
    }
}
