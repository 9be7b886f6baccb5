package io.famfs.fuse;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Counters of the FUSE server, cheap enough for every request; read by the metrics. */
public final class FuseStats {
    public enum Op { GETATTR, READDIR, OPEN, READ, WRITE, STATFS, REFUSED }

    private final Map<Op, LongAdder> ops = new EnumMap<>(Op.class);
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder errors = new LongAdder();

    FuseStats() {
        for (Op op : Op.values()) {
            ops.put(op, new LongAdder());
        }
    }

    void count(Op op) {
        ops.get(op).increment();
    }

    void read(long bytes) {
        bytesRead.add(bytes);
    }

    void wrote(long bytes) {
        bytesWritten.add(bytes);
    }

    void error() {
        errors.increment();
    }

    public long ops(Op op) {
        return ops.get(op).sum();
    }

    public long bytesRead() {
        return bytesRead.sum();
    }

    public long bytesWritten() {
        return bytesWritten.sum();
    }

    /** Requests answered EIO because something failed (memory errors included). */
    public long errors() {
        return errors.sum();
    }
}
