package io.famfs.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Upstream's {@code randomize_buffer} stream (FORMAT.md 8.3): the seed truncated to 32
 * bits, two SplitMix64 steps to seed xoroshiro128+, then each output contributes its low
 * 32 bits, little-endian, four bytes at a time. A trailing partial word takes the low
 * bytes of one more output. The stream is positional only from the start of a file, so
 * callers feed consecutive regions in file order.
 */
public final class RandomPattern {
    private static final ValueLayout.OfInt LE_INT = Le.U32;

    private long s0;
    private long s1;

    public RandomPattern(long seed) {
        long x = seed & 0xffffffffL;
        x += 0x9E3779B97F4A7C15L;
        s0 = splitMixFinal(x);
        x += 0x9E3779B97F4A7C15L;
        s1 = splitMixFinal(x);
    }

    private static long splitMixFinal(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Next xoroshiro128+ output. */
    public long next() {
        long a = s0;
        long b = s1;
        long result = a + b;
        b ^= a;
        s0 = Long.rotateLeft(a, 55) ^ b ^ (b << 14);
        s1 = Long.rotateLeft(b, 36);
        return result;
    }

    /**
     * Fills {@code dst} with the next {@code dst.byteSize()} bytes of the stream. Only the
     * last region of a file may have a length that is not a multiple of four.
     */
    public void fill(MemorySegment dst) {
        long len = dst.byteSize();
        long words = len >>> 2;
        long a = s0;
        long b = s1;
        for (long i = 0; i < words; i++) {
            dst.set(LE_INT, i << 2, (int) (a + b));
            b ^= a;
            a = Long.rotateLeft(a, 55) ^ b ^ (b << 14);
            b = Long.rotateLeft(b, 36);
        }
        s0 = a;
        s1 = b;
        int tail = (int) (len & 3);
        if (tail != 0) {
            long r = next();
            for (int k = 0; k < tail; k++) {
                dst.set(ValueLayout.JAVA_BYTE, (words << 2) + k, (byte) (r >>> (8 * k)));
            }
        }
    }

    /**
     * Compares {@code src} with the next bytes of the stream. Returns the offset (within
     * {@code src}) of the first mismatching 4-byte word, or -1 when all match.
     */
    public long verify(MemorySegment src) {
        long len = src.byteSize();
        long words = len >>> 2;
        long a = s0;
        long b = s1;
        for (long i = 0; i < words; i++) {
            if (src.get(LE_INT, i << 2) != (int) (a + b)) {
                return i << 2;
            }
            b ^= a;
            a = Long.rotateLeft(a, 55) ^ b ^ (b << 14);
            b = Long.rotateLeft(b, 36);
        }
        s0 = a;
        s1 = b;
        int tail = (int) (len & 3);
        if (tail != 0) {
            long r = next();
            for (int k = 0; k < tail; k++) {
                if (src.get(ValueLayout.JAVA_BYTE, (words << 2) + k) != (byte) (r >>> (8 * k))) {
                    return words << 2;
                }
            }
        }
        return -1;
    }
}
