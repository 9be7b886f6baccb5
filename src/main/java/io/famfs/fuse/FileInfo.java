package io.famfs.fuse;

import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * Raw access to libfuse 2's {@code struct fuse_file_info}. jnr-fuse's Struct models the
 * bit fields as whole words, so its {@code fh} is not where libfuse reads it; the C
 * layout on x86_64 is:
 * <pre>
 *  0 int flags          (open flags)
 *  8 unsigned long fh_old
 * 16 int writepage
 * 20 unsigned direct_io:1, keep_cache:1, flush:1, nonseekable:1, flock_release:1, ...
 * 24 uint64_t fh        (our open-file handle)
 * 32 uint64_t lock_owner
 * </pre>
 */
final class FileInfo {
    private static final int OFF_FLAGS = 0;
    private static final int OFF_BITS = 20;
    private static final int OFF_FH = 24;
    private static final int DIRECT_IO = 1;
    private static final int KEEP_CACHE = 2;
    static final int O_ACCMODE = 3;
    static final int O_RDONLY = 0;

    private FileInfo() {
    }

    private static Pointer memory(FuseFileInfo fi) {
        return Struct.getMemory(fi);
    }

    static int flags(FuseFileInfo fi) {
        return memory(fi).getInt(OFF_FLAGS);
    }

    static boolean wantsWrite(FuseFileInfo fi) {
        return (flags(fi) & O_ACCMODE) != O_RDONLY;
    }

    static long handle(FuseFileInfo fi) {
        return memory(fi).getLong(OFF_FH);
    }

    static void handle(FuseFileInfo fi, long fh) {
        memory(fi).putLong(OFF_FH, fh);
    }

    static void directIo(FuseFileInfo fi) {
        Pointer p = memory(fi);
        p.putByte(OFF_BITS, (byte) (p.getByte(OFF_BITS) | DIRECT_IO));
    }

    static void keepCache(FuseFileInfo fi) {
        Pointer p = memory(fi);
        p.putByte(OFF_BITS, (byte) (p.getByte(OFF_BITS) | KEEP_CACHE));
    }
}
