package io.imagescore.fit;

/** What the labels are: numeric targets (ridge), class labels (logistic) or comparisons (RankNet). */
public enum FitKind { REGRESSION, CLASSES, PAIRWISE }
