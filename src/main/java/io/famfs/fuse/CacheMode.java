package io.famfs.fuse;

/**
 * How the kernel may cache file data of a mount. famfs memory can be written by other
 * hosts, so the default drops a file's cached pages on every open.
 */
public enum CacheMode {
    /** Page cache, dropped at each open: a reader sees other hosts' writes on re-open; mmap works. */
    AUTO,
    /** Page cache kept across opens: warm reads at page-cache speed, for data that does not change. */
    KEEP,
    /** No page cache (direct_io): every read goes to the memory; shared writable mmap is refused. */
    DIRECT
}
