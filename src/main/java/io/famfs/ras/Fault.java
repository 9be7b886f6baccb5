package io.famfs.ras;

import java.time.Instant;

/**
 * A memory error on a device: what kind, where (device offset, -1 if unknown), when,
 * and what the system said.
 */
public record Fault(Kind kind, long deviceOffset, Instant time, String detail) {
    public enum Kind {
        /** A SIGBUS while touching the mapping (poison, or the memory went away). */
        MEMORY_FAULT,
        /** The kernel lists bad blocks for the device (sysfs badblocks). */
        BADBLOCKS,
        /** The test injection point (off unless configured). */
        INJECTED,
        /**
         * The file system under a mount was re-made or its metadata damaged: the replayed
         * tree no longer describes the device. Not a memory error, but contained the same
         * way, and never cleared (only a new mount serves the new file system).
         */
        FS_CHANGED
    }
}
