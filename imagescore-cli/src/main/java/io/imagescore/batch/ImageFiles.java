package io.imagescore.batch;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads image files; a missing or unreadable file is that image's FILE_UNREADABLE error, never a stop. */
public final class ImageFiles {
    private ImageFiles() {
    }

    /** The bytes, or null after reporting a FILE_UNREADABLE row to {@code dispatch}. */
    static byte[] read(Job job, Dispatch dispatch) {
        try {
            return read(job.entry.path());
        } catch (ImageScoreException e) {
            dispatch.done(job, BatchRow.failure(job.entry, e.code().name(), e.getMessage()));
            return null;
        }
    }

    /** The bytes of an image file; throws FILE_UNREADABLE naming the file and why. */
    public static byte[] read(String file) {
        try {
            return Files.readAllBytes(Path.of(file));
        } catch (NoSuchFileException e) {
            throw unreadable("no such file: " + file);
        } catch (AccessDeniedException e) {
            throw unreadable("permission denied: " + file);
        } catch (IOException | RuntimeException e) {
            throw unreadable("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static ImageScoreException unreadable(String message) {
        return new ImageScoreException(ErrorCode.FILE_UNREADABLE, message);
    }
}
