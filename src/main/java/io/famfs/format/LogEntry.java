package io.famfs.format;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Codec for {@code struct famfs_log_entry} (544 bytes). Offsets are from the start of the
 * entry; the CRC covers bytes [0, 536) as stored, padding and unused union bytes included.
 *
 * <pre>
 *   0 | seqnum u64 | type u32 | pad u32 |
 *  16 | payload union (520 bytes)              |
 * 536 | crc u64 (CRC-32 of [0, 536))           |
 *
 * FILE payload (famfs_log_file_meta):            MKDIR payload (famfs_log_mkdir):
 *  16 fm_size u64                                 16 md_uid u32
 *  24 fm_flags u32                                20 md_gid u32
 *  28 fm_uid u32    32 fm_gid u32                 24 md_mode u32
 *  36 fm_mode u32                                 28 md_relpath char[80]
 *  40 fm_relpath char[80]
 * 120 fmap_ext_type u32 (0 simple, 1 interleave)  ADD_DAXDEV payload:
 * 128 fmap_nextents / fmap_niext u32              16 dd_size u64
 * 136 simple: se[16] {devindex, offset, len}      24 dd_uuid 16 bytes
 * 136 interleave: ie_nstrips u64                  40 dd_index u32
 * 144             ie_chunk_size u64
 * 152             ie_strips[16] {devindex, offset, len}
 * </pre>
 */
public final class LogEntry {
    public static final int SIZE = 544;
    /** Paths are NUL-terminated in an 80-byte field: at most 79 bytes. */
    public static final int PATH_FIELD = 80;
    public static final int MAX_PATH_BYTES = PATH_FIELD - 1;

    static final int OFF_SEQNUM = 0;
    static final int OFF_TYPE = 8;
    static final int OFF_CRC = 536;
    static final int CRC_SPAN = OFF_CRC;

    static final int OFF_FM_SIZE = 16;
    static final int OFF_FM_FLAGS = 24;
    static final int OFF_FM_UID = 28;
    static final int OFF_FM_GID = 32;
    static final int OFF_FM_MODE = 36;
    static final int OFF_FM_RELPATH = 40;
    static final int OFF_FMAP_EXT_TYPE = 120;
    static final int OFF_FMAP_NEXTENTS = 128;
    static final int OFF_FMAP_SE = 136;
    static final int OFF_IE_NSTRIPS = 136;
    static final int OFF_IE_CHUNK = 144;
    static final int OFF_IE_STRIPS = 152;
    static final int EXTENT_SIZE = 24;

    static final int OFF_MD_UID = 16;
    static final int OFF_MD_GID = 20;
    static final int OFF_MD_MODE = 24;
    static final int OFF_MD_RELPATH = 28;

    static final int OFF_DD_SIZE = 16;
    static final int OFF_DD_UUID = 24;
    static final int OFF_DD_INDEX = 40;

    private LogEntry() {
    }

    /** An entry as read from a slot, with its integrity facts. */
    public record Decoded(long seqnum, int type, long storedCrc, long computedCrc, LogRecord record, String malformed) {
        public boolean crcOk() {
            return storedCrc == computedCrc;
        }
    }

    public static long seqnum(MemorySegment slot) {
        return Le.u64(slot, OFF_SEQNUM);
    }

    public static long storedCrc(MemorySegment slot) {
        return Le.u64(slot, OFF_CRC);
    }

    public static long computedCrc(MemorySegment slot) {
        return Crc32s.of(slot, 0, CRC_SPAN);
    }

    /**
     * Decodes a slot. Never throws for bad bytes: a payload that cannot be a valid record
     * (too many extents, unterminated path) is reported through {@code malformed}.
     */
    public static Decoded decode(MemorySegment slot) {
        long seq = seqnum(slot);
        int type = (int) Le.u32(slot, OFF_TYPE);
        long stored = storedCrc(slot);
        long computed = computedCrc(slot);
        LogRecord record;
        String malformed = null;
        try {
            record = switch (type) {
                case LogRecord.TYPE_FILE -> decodeFile(slot);
                case LogRecord.TYPE_MKDIR -> new LogRecord.Mkdir(path(slot, OFF_MD_RELPATH),
                        (int) Le.u32(slot, OFF_MD_UID), (int) Le.u32(slot, OFF_MD_GID), (int) Le.u32(slot, OFF_MD_MODE));
                case LogRecord.TYPE_ADD_DAXDEV -> new LogRecord.AddDaxdev(Le.u64(slot, OFF_DD_SIZE),
                        Uuids.read(slot, OFF_DD_UUID), (int) Le.u32(slot, OFF_DD_INDEX));
                default -> new LogRecord.Other(type);
            };
        } catch (FormatException e) {
            record = new LogRecord.Other(type);
            malformed = e.getMessage();
        }
        return new Decoded(seq, type, stored, computed, record, malformed);
    }

    private static String path(MemorySegment slot, int offset) {
        if (slot.get(java.lang.foreign.ValueLayout.JAVA_BYTE, offset + MAX_PATH_BYTES) != 0) {
            throw new FormatException("path is not NUL-terminated within 80 bytes");
        }
        return Le.cString(slot, offset, PATH_FIELD);
    }

    private static LogRecord.File decodeFile(MemorySegment slot) {
        int extType = (int) Le.u32(slot, OFF_FMAP_EXT_TYPE);
        long count = Le.u32(slot, OFF_FMAP_NEXTENTS);
        Fmap fmap;
        if (extType == Fmap.EXT_SIMPLE) {
            if (count < 1 || count > Fmap.MAX_EXTENTS) {
                throw new FormatException("simple fmap has " + count + " extents (1.." + Fmap.MAX_EXTENTS + ")");
            }
            fmap = new Fmap.Simple(extents(slot, OFF_FMAP_SE, (int) count));
        } else if (extType == Fmap.EXT_INTERLEAVE) {
            if (count != 1) {
                throw new FormatException("interleaved fmap has " + count + " interleaved extents (expected 1)");
            }
            long nstrips = Le.u64(slot, OFF_IE_NSTRIPS);
            long chunk = Le.u64(slot, OFF_IE_CHUNK);
            if (nstrips < 1 || nstrips > Fmap.MAX_EXTENTS) {
                throw new FormatException("interleaved fmap has " + nstrips + " strips (1.." + Fmap.MAX_EXTENTS + ")");
            }
            if (chunk == 0 || Long.bitCount(chunk) != 1) {
                throw new FormatException("interleaved fmap chunk size 0x" + Long.toHexString(chunk) + " is not a power of two");
            }
            fmap = new Fmap.Interleaved(nstrips, chunk, extents(slot, OFF_IE_STRIPS, (int) nstrips));
        } else {
            throw new FormatException("unknown fmap extent type " + extType);
        }
        return new LogRecord.File(path(slot, OFF_FM_RELPATH), Le.u64(slot, OFF_FM_SIZE),
                (int) Le.u32(slot, OFF_FM_FLAGS), (int) Le.u32(slot, OFF_FM_UID), (int) Le.u32(slot, OFF_FM_GID),
                (int) Le.u32(slot, OFF_FM_MODE), fmap);
    }

    private static List<Extent> extents(MemorySegment slot, int base, int count) {
        List<Extent> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long off = base + (long) i * EXTENT_SIZE;
            list.add(new Extent(Le.u64(slot, off), Le.u64(slot, off + 8), Le.u64(slot, off + 16)));
        }
        return list;
    }

    /**
     * Encodes {@code record} with {@code seqnum} into a 544-byte slot, zeroing it first (as
     * upstream's {@code = {0}} initialisers do) and storing the CRC last.
     */
    public static void encode(LogRecord record, long seqnum, MemorySegment slot) {
        slot.asSlice(0, SIZE).fill((byte) 0);
        Le.u64(slot, OFF_SEQNUM, seqnum);
        Le.u32(slot, OFF_TYPE, record.type());
        switch (record) {
            case LogRecord.File f -> encodeFile(f, slot);
            case LogRecord.Mkdir m -> {
                Le.u32(slot, OFF_MD_UID, m.uid());
                Le.u32(slot, OFF_MD_GID, m.gid());
                Le.u32(slot, OFF_MD_MODE, m.mode());
                putPath(slot, OFF_MD_RELPATH, m.path());
            }
            case LogRecord.AddDaxdev d -> {
                Le.u64(slot, OFF_DD_SIZE, d.size());
                Uuids.write(slot, OFF_DD_UUID, d.uuid());
                Le.u32(slot, OFF_DD_INDEX, d.index());
            }
            case LogRecord.Other o -> {
                // only the type: nothing else is defined for these entries
            }
        }
        Le.u64(slot, OFF_CRC, computedCrc(slot));
    }

    private static void putPath(MemorySegment slot, int offset, String path) {
        if (path.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw new FormatException("path longer than " + MAX_PATH_BYTES + " bytes: " + path);
        }
        Le.cString(slot, offset, PATH_FIELD, path);
    }

    private static void encodeFile(LogRecord.File f, MemorySegment slot) {
        Le.u64(slot, OFF_FM_SIZE, f.size());
        Le.u32(slot, OFF_FM_FLAGS, f.flags());
        Le.u32(slot, OFF_FM_UID, f.uid());
        Le.u32(slot, OFF_FM_GID, f.gid());
        Le.u32(slot, OFF_FM_MODE, f.mode());
        putPath(slot, OFF_FM_RELPATH, f.path());
        switch (f.fmap()) {
            case Fmap.Simple s -> {
                checkCount(s.extents().size());
                Le.u32(slot, OFF_FMAP_EXT_TYPE, Fmap.EXT_SIMPLE);
                Le.u32(slot, OFF_FMAP_NEXTENTS, s.extents().size());
                putExtents(slot, OFF_FMAP_SE, s.extents());
            }
            case Fmap.Interleaved i -> {
                checkCount(i.strips().size());
                Le.u32(slot, OFF_FMAP_EXT_TYPE, Fmap.EXT_INTERLEAVE);
                Le.u32(slot, OFF_FMAP_NEXTENTS, 1);
                Le.u64(slot, OFF_IE_NSTRIPS, i.nstrips());
                Le.u64(slot, OFF_IE_CHUNK, i.chunkSize());
                putExtents(slot, OFF_IE_STRIPS, i.strips());
            }
        }
    }

    private static void checkCount(int n) {
        if (n < 1 || n > Fmap.MAX_EXTENTS) {
            throw new FormatException("an fmap holds 1.." + Fmap.MAX_EXTENTS + " extents, not " + n);
        }
    }

    private static void putExtents(MemorySegment slot, int base, List<Extent> extents) {
        for (int i = 0; i < extents.size(); i++) {
            long off = base + (long) i * EXTENT_SIZE;
            Extent e = extents.get(i);
            Le.u64(slot, off, e.devIndex());
            Le.u64(slot, off + 8, e.offset());
            Le.u64(slot, off + 16, e.length());
        }
    }
}
