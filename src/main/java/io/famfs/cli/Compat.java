package io.famfs.cli;

import io.famfs.FamfsException;

/**
 * Upstream options that we accept for its scripts' sake but that mean nothing here, or
 * that ask for what we do not have. We are always FUSE: upstream's standalone "v1"
 * kernel module (its {@code --nofuse} mode) is not supported.
 */
final class Compat {
    private Compat() {
    }

    /** Upstream's {@code --nofuse}/{@code -F}: asks for the v1 kernel module. */
    static void refuseNoFuse(boolean noFuse, int exitCode) {
        if (noFuse) {
            throw new FamfsException("--nofuse asks for upstream's standalone famfs (v1) kernel module, "
                    + "which famfs-java does not support: it always serves through FUSE (drop --nofuse)", exitCode);
        }
    }

    /** Upstream's {@code -r/--read} and {@code -m/--mmap} (how meta files are read): not both. */
    static void readOrMmap(boolean read, boolean mmap) {
        if (read && mmap) {
            throw new FamfsException("-r/--read and -m/--mmap are mutually exclusive (choose one)");
        }
    }
}
