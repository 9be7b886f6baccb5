package io.famfs.format;

import java.util.List;

/** Where a file's bytes live on the device: upstream's {@code struct famfs_log_fmap}. */
public sealed interface Fmap permits Fmap.Simple, Fmap.Interleaved {
    int EXT_SIMPLE = 0;
    int EXT_INTERLEAVE = 1;
    /** Both se[] and ie_strips[] hold at most 16 extents. */
    int MAX_EXTENTS = 16;

    /** Every device range the file occupies (the strips, for an interleaved map). */
    List<Extent> deviceExtents();

    default long allocatedBytes() {
        return deviceExtents().stream().mapToLong(Extent::length).sum();
    }

    /** Extents concatenated in order. */
    record Simple(List<Extent> extents) implements Fmap {
        public Simple {
            extents = List.copyOf(extents);
        }

        @Override
        public List<Extent> deviceExtents() {
            return extents;
        }
    }

    /**
     * One interleaved extent: file chunk {@code c} lives in strip {@code c % nstrips}, at
     * {@code strip.offset + (c / nstrips) * chunkSize}.
     */
    record Interleaved(long nstrips, long chunkSize, List<Extent> strips) implements Fmap {
        public Interleaved {
            strips = List.copyOf(strips);
        }

        @Override
        public List<Extent> deviceExtents() {
            return strips;
        }
    }
}
