package io.famfs.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.UUID;

/**
 * UUIDs are stored as the 16 raw bytes of libuuid's {@code uuid_t}: the textual form
 * {@code aabbccdd-eeff-...} is stored as bytes {@code aa bb cc dd ee ff ...}. That is
 * exactly {@link UUID}'s most- then least-significant long, each big-endian.
 */
public final class Uuids {
    private static final ValueLayout.OfLong BIG_ENDIAN_LONG =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Uuids() {
    }

    public static UUID read(MemorySegment segment, long offset) {
        return new UUID(segment.get(BIG_ENDIAN_LONG, offset), segment.get(BIG_ENDIAN_LONG, offset + 8));
    }

    public static void write(MemorySegment segment, long offset, UUID uuid) {
        segment.set(BIG_ENDIAN_LONG, offset, uuid.getMostSignificantBits());
        segment.set(BIG_ENDIAN_LONG, offset + 8, uuid.getLeastSignificantBits());
    }
}
