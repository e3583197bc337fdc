package io.imagescore.image;

/**
 * {@code EXACT}: full decode, then a resize identical to Pillow's. {@code FAST}: JPEGs are decoded at a reduced DCT
 * scale that keeps the short side ≥ S, then the same resize. Reported in the preprocessing id.
 */
public enum PreprocessMode {
    EXACT, FAST;

    /** The mode a command line names: "exact" or "fast", any case. */
    public static PreprocessMode parse(String name) {
        for (PreprocessMode m : values()) {
            if (m.name().equalsIgnoreCase(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("preprocessing mode '" + name + "': use exact or fast");
    }
}
