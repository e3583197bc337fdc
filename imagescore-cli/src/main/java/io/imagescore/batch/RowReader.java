package io.imagescore.batch;

import java.io.Closeable;
import java.io.IOException;

/** Reads back the rows a {@link RowWriter} of the same format wrote. */
public interface RowReader extends Closeable {
    /** The next row, or null at the end. */
    BatchRow read() throws IOException;
}
