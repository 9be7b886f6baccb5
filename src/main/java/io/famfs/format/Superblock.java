package io.famfs.format;

import java.lang.foreign.MemorySegment;
import java.util.UUID;

/**
 * Flyweight over {@code struct famfs_superblock} at device offset 0 (OMF 2.2, 200 bytes,
 * inside a 2 MiB region). It reads and writes the mapped bytes in place.
 *
 * <pre>
 *   0 +--------------------------+
 *     | ts_magic        u64      |  0x87b282ff
 *   8 | ts_version      u64      |  48, must match exactly
 *  16 | ts_log_offset   u64      |  0x200000
 *  24 | ts_log_len      u64      |  power of two, >= 8 MiB
 *  32 | ts_alloc_unit   u64      |  0x200000 (4096 also accepted)
 *  40 | ts_omf_ver_major u32     |  2
 *  44 | ts_omf_ver_minor u32     |  2
 *  48 | ts_uuid         16 bytes |  file-system UUID
 *  64 | ts_dev_uuid     16 bytes |  device UUID
 *  80 | ts_system_uuid  16 bytes |  master node's system UUID
 *  96 | ts_crc          u64      |  CRC-32 of bytes [0, 96)
 * 104 | ts_sb_flags     u32      |  not in the CRC, never written by mkfs
 * 108 | padding         u32      |
 * 112 | dd_size         u64      |  primary device size
 * 120 | dd_uuid         16 bytes |  never written by mkfs
 * 136 | dd_daxdev       char[64] |  device path as given to mkfs (strncpy)
 * 200 +--------------------------+
 * </pre>
 */
public final class Superblock {
    public static final long MAGIC = 0x87b282ffL;
    public static final long CURRENT_VERSION = 48;
    public static final long LOG_OFFSET = 0x200000L;
    /** The superblock region: the log starts right after it. */
    public static final long REGION_SIZE = 0x200000L;
    public static final long ALLOC_UNIT = 0x200000L;
    public static final long ALT_ALLOC_UNIT = 4096L;
    public static final int OMF_MAJOR = 2;
    public static final int OMF_MINOR = 2;
    public static final int SIZE = 200;

    static final int OFF_MAGIC = 0;
    static final int OFF_VERSION = 8;
    static final int OFF_LOG_OFFSET = 16;
    static final int OFF_LOG_LEN = 24;
    static final int OFF_ALLOC_UNIT = 32;
    static final int OFF_OMF_MAJOR = 40;
    static final int OFF_OMF_MINOR = 44;
    static final int OFF_UUID = 48;
    static final int OFF_DEV_UUID = 64;
    static final int OFF_SYSTEM_UUID = 80;
    static final int OFF_CRC = 96;
    /** The CRC covers [0, OFF_CRC). */
    static final int CRC_SPAN = OFF_CRC;
    static final int OFF_SB_FLAGS = 104;
    static final int OFF_DD_SIZE = 112;
    static final int OFF_DD_UUID = 120;
    static final int OFF_DD_DAXDEV = 136;
    static final int DAXDEV_NAME_LEN = 64;

    /** Outcome of {@code famfs_check_super}, plus the reason for invalid ones. */
    public enum Status {
        VALID, BAD_MAGIC, WRONG_VERSION, BAD_CRC, BAD_ALLOC_UNIT;

        public boolean isValid() {
            return this == VALID;
        }
    }

    private final MemorySegment bytes;

    /** Wraps the first {@link #SIZE} bytes of {@code device}. */
    public Superblock(MemorySegment device) {
        this.bytes = device.asSlice(0, SIZE);
    }

    public long magic() {
        return Le.u64(bytes, OFF_MAGIC);
    }

    public long version() {
        return Le.u64(bytes, OFF_VERSION);
    }

    public long logOffset() {
        return Le.u64(bytes, OFF_LOG_OFFSET);
    }

    public long logLen() {
        return Le.u64(bytes, OFF_LOG_LEN);
    }

    public long allocUnit() {
        return Le.u64(bytes, OFF_ALLOC_UNIT);
    }

    public long omfMajor() {
        return Le.u32(bytes, OFF_OMF_MAJOR);
    }

    public long omfMinor() {
        return Le.u32(bytes, OFF_OMF_MINOR);
    }

    public UUID fsUuid() {
        return Uuids.read(bytes, OFF_UUID);
    }

    public UUID devUuid() {
        return Uuids.read(bytes, OFF_DEV_UUID);
    }

    public UUID systemUuid() {
        return Uuids.read(bytes, OFF_SYSTEM_UUID);
    }

    public long storedCrc() {
        return Le.u64(bytes, OFF_CRC);
    }

    public long computedCrc() {
        return Crc32s.of(bytes, 0, CRC_SPAN);
    }

    public long deviceSize() {
        return Le.u64(bytes, OFF_DD_SIZE);
    }

    public String deviceName() {
        return Le.cString(bytes, OFF_DD_DAXDEV, DAXDEV_NAME_LEN);
    }

    /** Same checks, in the same order, as upstream's {@code famfs_check_super()}. */
    public Status check() {
        if (magic() != MAGIC) {
            return Status.BAD_MAGIC;
        }
        if (version() != CURRENT_VERSION) {
            return Status.WRONG_VERSION;
        }
        if (storedCrc() != computedCrc()) {
            return Status.BAD_CRC;
        }
        long au = allocUnit();
        if (au != ALLOC_UNIT && au != ALT_ALLOC_UNIT) {
            return Status.BAD_ALLOC_UNIT;
        }
        return Status.VALID;
    }

    /** One line saying why the superblock is not valid, for error messages. */
    public String describe(Status status) {
        return switch (status) {
            case VALID -> "valid famfs superblock";
            case BAD_MAGIC -> String.format("no famfs superblock (magic 0x%x, expected 0x%x)", magic(), MAGIC);
            case WRONG_VERSION -> String.format("famfs superblock version %d is not supported (expected %d)",
                    version(), CURRENT_VERSION);
            case BAD_CRC -> String.format("famfs superblock CRC mismatch (stored 0x%x, computed 0x%x)",
                    storedCrc(), computedCrc());
            case BAD_ALLOC_UNIT -> String.format("famfs superblock has invalid alloc unit 0x%x", allocUnit());
        };
    }

    /**
     * Writes a fresh superblock as mkfs does. Unlike upstream, the whole 200-byte structure
     * is zeroed first so that stale padding, flags and dd_uuid cannot survive.
     */
    public void format(long logLen, UUID fsUuid, UUID devUuid, UUID systemUuid, long deviceSize, String deviceName) {
        bytes.fill((byte) 0);
        Le.u64(bytes, OFF_MAGIC, MAGIC);
        Le.u64(bytes, OFF_VERSION, CURRENT_VERSION);
        Le.u64(bytes, OFF_LOG_OFFSET, LOG_OFFSET);
        Le.u64(bytes, OFF_LOG_LEN, logLen);
        Le.u64(bytes, OFF_ALLOC_UNIT, ALLOC_UNIT);
        Le.u32(bytes, OFF_OMF_MAJOR, OMF_MAJOR);
        Le.u32(bytes, OFF_OMF_MINOR, OMF_MINOR);
        Uuids.write(bytes, OFF_UUID, fsUuid);
        Uuids.write(bytes, OFF_DEV_UUID, devUuid);
        Uuids.write(bytes, OFF_SYSTEM_UUID, systemUuid);
        Le.u64(bytes, OFF_DD_SIZE, deviceSize);
        Le.cString(bytes, OFF_DD_DAXDEV, DAXDEV_NAME_LEN, deviceName);
        Le.u64(bytes, OFF_CRC, computedCrc());
    }

    /** {@code mkfs -k}: upstream invalidates a file system by zeroing the magic only. */
    public void kill() {
        Le.u64(bytes, OFF_MAGIC, 0);
    }
}
