package io.imagescore.batch;

/**
 * Ids seen so far, as 64-bit hashes ({@link Shard#hash}) in an open-addressing table: 1.5 million ids take ~32 MB
 * instead of ~150 MB as strings. Two distinct ids collide with probability ~n²/2⁶⁵ (6·10⁻⁸ for 1.5 M), which would
 * report a false duplicate, never lose one silently (the summary names every skipped duplicate's first occurrences).
 * Own code because fastutil (23 MB) is too big a dependency for one small table.
 */
final class IdSet {
    private long[] table = new long[1 << 16];
    private boolean hasZero;
    private int size;

    /** Adds the hash; false if it was already there. */
    boolean add(long hash) {
        if (hash == 0) {
            boolean added = !hasZero;
            hasZero = true;
            return added;
        }
        if (2 * (size + 1) > table.length) {
            grow();
        }
        int mask = table.length - 1;
        int i = (int) mix(hash) & mask;
        while (table[i] != 0) {
            if (table[i] == hash) {
                return false;
            }
            i = (i + 1) & mask;
        }
        table[i] = hash;
        size++;
        return true;
    }

    int size() {
        return size + (hasZero ? 1 : 0);
    }

    private void grow() {
        long[] old = table;
        table = new long[old.length * 2];
        int mask = table.length - 1;
        for (long h : old) {
            if (h != 0) {
                int i = (int) mix(h) & mask;
                while (table[i] != 0) {
                    i = (i + 1) & mask;
                }
                table[i] = h;
            }
        }
    }

    private static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        return h ^ (h >>> 33);
    }
}
