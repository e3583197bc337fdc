package io.imagescore.batch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/** Where the run's images come from: exactly one of manifest, directory, or stdin. */
public record Input(Path manifest, Path directory, Set<String> extensions, InputStream stdin) {

    public ImageSource open() throws IOException {
        if (manifest != null) {
            return ImageSource.manifest(manifest);
        }
        if (directory != null) {
            return ImageSource.directory(directory, extensions);
        }
        return ImageSource.lines(stdin);
    }

    /** For run.json: what identifies the input of a resumable run. */
    public String describe() {
        if (manifest != null) {
            return "manifest:" + manifest.toAbsolutePath().normalize();
        }
        if (directory != null) {
            return "directory:" + directory.toAbsolutePath().normalize() + " extensions:" + new TreeSet<>(extensions);
        }
        return "stdin";
    }

    /** Entries expected, for the ETA; -1 when unknown. */
    public long estimateCount() {
        try {
            return manifest != null ? ImageSource.countEntries(manifest) : -1;
        } catch (IOException e) {
            return -1;
        }
    }
}
