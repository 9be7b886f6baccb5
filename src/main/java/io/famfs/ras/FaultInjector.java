package io.famfs.ras;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The test injection point: device ranges marked poisoned behave as memory that faults
 * when touched. Disabled unless the mount was started with it enabled
 * ({@code famfs mount --ras-inject}, or FAMFS_RAS_INJECT=1); a disabled injector refuses
 * to poison anything, so production mounts cannot be made to fail through it.
 */
public final class FaultInjector {
    /** A poisoned device range. */
    public record Range(long offset, long length) {
        boolean overlaps(long off, long len) {
            return off < offset + length && offset < off + len;
        }
    }

    /** Thrown where a real fault would raise SIGBUS. */
    public static final class InjectedFault extends RuntimeException {
        private final long offset;

        InjectedFault(long offset) {
            super(String.format("injected memory error at device offset 0x%x", offset));
            this.offset = offset;
        }

        public long offset() {
            return offset;
        }
    }

    private final boolean enabled;
    private final List<Range> poisoned = new CopyOnWriteArrayList<>();

    public FaultInjector(boolean enabled) {
        this.enabled = enabled;
    }

    public boolean enabled() {
        return enabled;
    }

    public void poison(long offset, long length) {
        if (!enabled) {
            throw new IllegalStateException("fault injection is not enabled on this mount");
        }
        poisoned.add(new Range(offset, Math.max(1, length)));
    }

    public List<Range> poisoned() {
        return List.copyOf(poisoned);
    }

    /** Throws if [offset, offset+length) touches a poisoned range. Free when nothing is poisoned. */
    public void touch(long offset, long length) {
        if (poisoned.isEmpty()) {
            return;
        }
        for (Range r : poisoned) {
            if (r.overlaps(offset, length)) {
                throw new InjectedFault(Math.max(offset, r.offset()));
            }
        }
    }
}
