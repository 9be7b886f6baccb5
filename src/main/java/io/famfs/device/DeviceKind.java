package io.famfs.device;

/** The kinds of memory a famfs can live on. */
public enum DeviceKind {
    /** A devdax character device, /dev/daxX.Y: size and alignment from sysfs. */
    DEVDAX,
    /** A pmem (or other) block device: size from sysfs. */
    BLOCK,
    /** A regular file standing in for a device, e.g. under /dev/shm (the embedded default). */
    FILE
}
