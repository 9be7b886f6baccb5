package io.famfs.namespace;

import io.famfs.format.LogRecord;
import io.famfs.format.RandomPattern;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;

/**
 * A famfs file's bytes on the mapped device, reached through its {@link FileMapper}.
 * Data moves directly between the device mapping and its peer (a file channel, the
 * pattern generator, a caller's segment): one copy, no staging buffer.
 */
public final class FileData {
    private final MemorySegment device;
    private final FileMapper mapper;

    public FileData(MemorySegment device, LogRecord.File meta) {
        this.device = device;
        this.mapper = new FileMapper(meta.fmap(), meta.size());
    }

    public long size() {
        return mapper.fileSize();
    }

    public FileMapper mapper() {
        return mapper;
    }

    /** Copies file bytes [offset, offset + dst.byteSize()) into {@code dst}; returns bytes copied. */
    public long read(long offset, MemorySegment dst) {
        return mapper.map(offset, dst.byteSize(),
                (devOff, len, delta) -> MemorySegment.copy(device, devOff, dst, delta, len));
    }

    /** Copies {@code src} into the file at {@code offset}; never past the file size. */
    public long write(long offset, MemorySegment src) {
        return mapper.map(offset, src.byteSize(),
                (devOff, len, delta) -> MemorySegment.copy(src, delta, device, devOff, len));
    }

    /** Fills the whole file with upstream's randomized pattern for {@code seed}. */
    public void randomize(long seed) {
        RandomPattern pattern = new RandomPattern(seed);
        // pieces arrive in file order, which is what the positional stream needs
        mapper.map(0, size(), (devOff, len, delta) -> pattern.fill(device.asSlice(devOff, len)));
    }

    /** Offset of the first 4-byte word that differs from the pattern for {@code seed}, or -1. */
    public long verify(long seed) {
        RandomPattern pattern = new RandomPattern(seed);
        long[] firstBad = {-1};
        mapper.map(0, size(), (devOff, len, delta) -> {
            if (firstBad[0] < 0) {
                long bad = pattern.verify(device.asSlice(devOff, len));
                if (bad >= 0) {
                    firstBad[0] = delta + bad;
                }
            }
        });
        return firstBad[0];
    }

    /** Copies the whole of {@code source} (positional reads) into the file. */
    public void copyFrom(FileChannel source) {
        copyFrom(source, 0, size());
    }

    /** Copies bytes [offset, offset + length) of {@code source} to the same range of the file. */
    public void copyFrom(FileChannel source, long offset, long length) {
        mapper.map(offset, length, (devOff, len, delta) -> readFully(source, device.asSlice(devOff, len), offset + delta));
    }

    private static void readFully(FileChannel source, MemorySegment dst, long position) {
        var buffer = dst.asByteBuffer();
        try {
            while (buffer.hasRemaining()) {
                int n = source.read(buffer, position + buffer.position());
                if (n < 0) {
                    throw new IOException("source ended early at " + (position + buffer.position()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Offset of the first byte that differs from {@code source}, or -1. */
    public long compareWith(FileChannel source) {
        return compareWith(source, 0, size());
    }

    /** Offset of the first byte in [offset, offset + length) that differs from {@code source}, or -1. */
    public long compareWith(FileChannel source, long offset, long length) {
        long[] firstBad = {-1};
        MemorySegment scratch = MemorySegment.ofArray(new byte[1 << 20]);
        mapper.map(offset, length, (devOff, rangeLen, rangeDelta) -> {
            long len = rangeLen;
            long delta = offset + rangeDelta;
            for (long done = 0; done < len && firstBad[0] < 0; ) {
                long n = Math.min(scratch.byteSize(), len - done);
                MemorySegment part = scratch.asSlice(0, n);
                readFully(source, part, delta + done);
                long m = MemorySegment.mismatch(part, 0, n, device, devOff + done, devOff + done + n);
                if (m >= 0) {
                    firstBad[0] = delta + done + m;
                }
                done += n;
            }
        });
        return firstBad[0];
    }
}
