package io.imagescore.batch;

import io.imagescore.error.ErrorCode;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads an image file for a job; a missing or unreadable file becomes that image's error row, never a stop. */
final class ImageFiles {
    private ImageFiles() {
    }

    /** The bytes, or null after reporting a FILE_UNREADABLE row to {@code dispatch}. */
    static byte[] read(Job job, Dispatch dispatch) {
        try {
            return Files.readAllBytes(Path.of(job.entry.path()));
        } catch (NoSuchFileException e) {
            dispatch.done(job, BatchRow.failure(job.entry, ErrorCode.FILE_UNREADABLE.name(), "no such file: " + job.entry.path()));
        } catch (AccessDeniedException e) {
            dispatch.done(job, BatchRow.failure(job.entry, ErrorCode.FILE_UNREADABLE.name(), "permission denied: " + job.entry.path()));
        } catch (IOException | RuntimeException e) {
            dispatch.done(job, BatchRow.failure(job.entry, ErrorCode.FILE_UNREADABLE.name(),
                    "cannot read " + job.entry.path() + ": " + e.getMessage()));
        }
        return null;
    }
}
