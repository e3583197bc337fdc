package io.imagescore.image;

/**
 * {@code EXACT}: full decode, then a resize identical to Pillow's. {@code FAST}: JPEGs are decoded at a reduced DCT
 * scale that keeps the short side ≥ S, then the same resize. Reported in the preprocessing id.
 */
public enum PreprocessMode {
    EXACT, FAST
}
