package io.famfs.format;

import java.lang.foreign.MemorySegment;
import java.util.zip.CRC32;

/**
 * CRC-32 as upstream famfs computes it: zlib {@code crc32(0, buf, len)}, which is the
 * standard reflected CRC-32 (polynomial 0xEDB88320) that {@link CRC32} implements.
 * The CRC is always taken over the bytes as they are stored, never over re-serialised
 * fields, so a reader and a writer can never disagree about padding.
 */
public final class Crc32s {
    private Crc32s() {
    }

    /** CRC-32 of {@code length} bytes of {@code segment} starting at {@code offset}. */
    public static long of(MemorySegment segment, long offset, long length) {
        CRC32 crc = new CRC32();
        crc.update(segment.asSlice(offset, length).asByteBuffer());
        return crc.getValue();
    }
}
