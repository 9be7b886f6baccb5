package io.famfs.format;

/** A contiguous device range: {@code struct famfs_simple_extent} (devindex, offset, len). */
public record Extent(long devIndex, long offset, long length) {
    public long end() {
        return offset + length;
    }
}
