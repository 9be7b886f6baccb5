package io.famfs.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Little-endian field access for the on-media structures. Every famfs integer is
 * little-endian (x86_64); unaligned layouts are used so that a flyweight may sit on
 * any slice, although upstream structures are naturally aligned.
 */
public final class Le {
    public static final ValueLayout.OfLong U64 =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt U32 =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Le() {
    }

    public static long u64(MemorySegment s, long off) {
        return s.get(U64, off);
    }

    public static void u64(MemorySegment s, long off, long value) {
        s.set(U64, off, value);
    }

    /** Unsigned 32-bit value widened to long. */
    public static long u32(MemorySegment s, long off) {
        return Integer.toUnsignedLong(s.get(U32, off));
    }

    public static void u32(MemorySegment s, long off, long value) {
        s.set(U32, off, (int) value);
    }

    /**
     * Reads a C string field of {@code capacity} bytes: up to the first NUL, or the whole
     * field when it is not terminated (strncpy semantics).
     */
    public static String cString(MemorySegment s, long off, int capacity) {
        byte[] bytes = s.asSlice(off, capacity).toArray(ValueLayout.JAVA_BYTE);
        int len = 0;
        while (len < capacity && bytes[len] != 0) {
            len++;
        }
        return new String(bytes, 0, len, StandardCharsets.UTF_8);
    }

    /**
     * Writes {@code value} like {@code strncpy(dst, value, capacity)}: NUL-padded, and not
     * terminated if it fills the field. Callers that need termination check length first.
     */
    public static void cString(MemorySegment s, long off, int capacity, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        MemorySegment field = s.asSlice(off, capacity);
        field.fill((byte) 0);
        MemorySegment.copy(bytes, 0, field, ValueLayout.JAVA_BYTE, 0, Math.min(bytes.length, capacity));
    }
}
