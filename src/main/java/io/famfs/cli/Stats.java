package io.famfs.cli;

import java.io.PrintWriter;

/** {@code --stats}: one line with the counts and rates of a bulk command, on stderr. */
final class Stats {
    private final long start = System.nanoTime();

    void print(PrintWriter err, String what, long files, long bytes) {
        double secs = (System.nanoTime() - start) / 1e9;
        err.printf("%s: %d files, %d bytes in %.3f s: %.0f files/s, %.2f GB/s%n", what, files, bytes, secs,
                files / secs, bytes / secs / 1e9);
        err.flush();
    }
}
