package io.imagescore.sort;

/** Why an image is where it is in a sorted set (stable, machine-readable; the API sends the names). */
public enum SortReason {
    /** First of the set: the lead photo. */
    HERO,
    /** Placed by the weighted score combination. */
    SCORE_ORDER,
    /** Placed by a learned preference score. */
    PREFERENCE_ORDER,
    /** Placed with its class, in regulation order. */
    REGULATED_CLASS,
    /** Holds its class's single slot (slot regulations). */
    SLOT_ASSIGNED,
    /** Slot regulation: another image holds the slot, or no class fits well enough. */
    NO_SLOT,
    /** Its class is not in the regulation. */
    CLASS_NOT_IN_REGULATION,
    /** The classifier's out-of-domain detector says the photo is not of its kind (in_domain below the regulation's min_in_domain). */
    OUT_OF_DOMAIN,
    /** Its class probability is below the regulation's min_confidence. */
    LOW_CONFIDENCE,
    /** Top-1 and top-2 classes are close (below review_margin): a person should check it. */
    NEEDS_REVIEW,
    /** Near-duplicate of a better-scored image: moved to the end. */
    NEAR_DUPLICATE,
    /** Could not be scored: placed last. */
    IMAGE_ERROR
}
