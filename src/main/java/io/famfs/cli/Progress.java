package io.famfs.cli;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A one-line progress display for long runs, shown only when stderr is a terminal (so
 * scripts and logs stay clean). Updates at most five times a second; thread-safe.
 */
public final class Progress implements AutoCloseable {
    /** Whether the caller of a forwarded command has a terminal ({@link CommandServer}). */
    static final ScopedValue<Boolean> TERMINAL = ScopedValue.newInstance();

    private final PrintWriter err;
    private final String label;
    private final long total;
    private final boolean bytes;
    private final boolean enabled;
    private final AtomicLong done = new AtomicLong();
    private final long start = System.nanoTime();
    private volatile long lastPrint;

    public Progress(PrintWriter err, String label, long total, boolean bytes) {
        this.err = err;
        this.label = label;
        this.total = total;
        this.bytes = bytes;
        this.enabled = TERMINAL.isBound() ? TERMINAL.get() : System.console() != null && System.console().isTerminal();
    }

    public void add(long n) {
        long now = done.addAndGet(n);
        if (!enabled) {
            return;
        }
        long t = System.nanoTime();
        if (t - lastPrint > 200_000_000L || now == total) {
            lastPrint = t;
            print(now, t);
        }
    }

    private synchronized void print(long now, long t) {
        double secs = Math.max(1e-9, (t - start) / 1e9);
        String rate = bytes ? String.format("%.1f MB/s", now / secs / 1e6) : String.format("%.0f/s", now / secs);
        int pct = total == 0 ? 100 : (int) (100 * now / total);
        err.printf("\r%s: %3d%% (%d/%d) %s ", label, pct, bytes ? now >> 20 : now, bytes ? total >> 20 : total, rate);
        err.flush();
    }

    @Override
    public void close() {
        if (enabled && lastPrint != 0) {
            err.println();
            err.flush();
        }
    }
}
