package io.famfs.fuse;

import io.famfs.device.MemoryDevice;
import io.famfs.format.Extent;
import io.famfs.namespace.Namespace;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Maps a file's device memory into the server's page tables in the background the first
 * time the file is opened. With small (4 KiB) pages, as on a file-backed device, taking
 * one page fault per page inside read requests costs several times more than one
 * MADV_POPULATE_READ call over the whole range (measured: about 2 s against 0.2 s per
 * GiB here); running ahead of the reader on another thread turns a cold read into a warm
 * one. Devdax maps 2 MiB pages, where this matters far less. Each file is done once.
 */
final class Prefaulter implements AutoCloseable {
    private static final long STEP = 64L << 20;

    private final MemoryDevice device;
    private final Set<Long> done = ConcurrentHashMap.newKeySet();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r ->
            Thread.ofPlatform().daemon().name("famfs-prefault").unstarted(r));

    Prefaulter(MemoryDevice device) {
        this.device = device;
    }

    void opened(Namespace.File file) {
        if (!done.add(file.logIndex())) {
            return;
        }
        try {
            worker.execute(() -> {
                // strips in turn, in steps, so the pages a sequential reader needs first come first
                for (Extent e : file.meta().fmap().deviceExtents()) {
                    for (long off = 0; off < e.length(); off += STEP) {
                        device.prefault(e.offset() + off, Math.min(STEP, e.length() - off), false);
                    }
                }
            });
        } catch (RejectedExecutionException closed) {
            // shutting down
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
