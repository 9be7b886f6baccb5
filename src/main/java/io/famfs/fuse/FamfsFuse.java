package io.famfs.fuse;

import io.famfs.format.Extent;
import io.famfs.format.Fmap;
import io.famfs.format.Superblock;
import io.famfs.log.ReplayReport;
import io.famfs.log.Role;
import io.famfs.namespace.FileMapper;
import io.famfs.namespace.Namespace;
import io.famfs.ras.Fault;
import io.famfs.ras.FaultInjector;
import jnr.ffi.Pointer;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The FUSE callbacks. Files are served straight from the mapped device through each
 * file's {@link FileMapper}; the tree is the replayed namespace plus {@code .meta}.
 *
 * <p>famfs rules: nothing is ever allocated after creation, so every call that would
 * create, remove, rename, link, resize or re-own a file answers EPERM. Every callback
 * catches everything and answers an errno: jnr-fuse would otherwise swallow the
 * exception and report success.
 */
public class FamfsFuse extends FuseStubFS {
    private static final Logger LOG = Logger.getLogger(FamfsFuse.class.getName());

    private final MountedFs fs;
    private final MemorySegment device;
    private final Map<Long, OpenFile> open = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);
    private final AtomicLong errors = new AtomicLong();
    private final Prefaulter prefaulter;

    public FamfsFuse(MountedFs fs) {
        this.fs = fs;
        this.device = fs.famfs().device().memory();
        this.prefaulter = new Prefaulter(fs.famfs().device());
    }

    /** Stops background work; the mount is gone. */
    void shutdown() {
        prefaulter.close();
    }

    public long errorCount() {
        return errors.get();
    }

    public int openFileCount() {
        return open.size();
    }

    /** The namespace node (Dir or File) at a FUSE path, or null. */
    private Namespace.Node node(String path) {
        return fs.namespace().lookup(path.length() <= 1 ? "" : path.substring(1));
    }

    private int fail(String op, String path, Throwable t) {
        errors.incrementAndGet();
        fs.stats().error();
        if (t instanceof InternalError) {
            // a SIGBUS from compiled code can surface after the access: still a memory error
            fs.health().report(Fault.Kind.MEMORY_FAULT, -1, op + " " + path + ": " + t.getMessage());
            return -Errno.EIO;
        }
        LOG.log(Level.WARNING, op + " " + path + ": " + t, t);
        return -Errno.EIO;
    }

    /**
     * Moves data for one request, containing memory errors: a fault (real SIGBUS, or the
     * injection point) quarantines the device and the request answers EIO.
     */
    private int transfer(OpenFile file, long offset, MemorySegment buffer, boolean toDevice, String path) {
        if (fs.health().quarantined()) {
            return -Errno.EIO;
        }
        try {
            FaultInjector injector = fs.injector();
            if (!injector.poisoned().isEmpty()) {
                file.mapper().map(offset, buffer.byteSize(), (dev, len, d) -> injector.touch(dev, len));
            }
            return (int) file.mapper().transfer(device, offset, buffer, toDevice);
        } catch (InternalError | FaultInjector.InjectedFault e) {
            long[] at = {-1};
            file.mapper().map(offset, 1, (dev, len, d) -> at[0] = dev);
            long where = e instanceof FaultInjector.InjectedFault f ? f.offset() : at[0];
            fs.health().report(e instanceof InternalError ? Fault.Kind.MEMORY_FAULT : Fault.Kind.INJECTED, where,
                    (toDevice ? "write " : "read ") + path + " at " + offset + ": " + e.getMessage());
            fs.stats().error();
            return -Errno.EIO;
        }
    }

    // ---- metadata ---------------------------------------------------------------------

    @Override
    public int getattr(String path, FileStat stat) {
        fs.stats().count(FuseStats.Op.GETATTR);
        try {
            MetaFile meta = MetaFile.at(path);
            if (meta != null) {
                return metaAttr(meta, stat);
            }
            Namespace.Node node = node(path);
            if (node == null) {
                return -Errno.ENOENT;
            }
            switch (node) {
                case Namespace.Dir d -> {
                    stat.st_mode.set(FileStat.S_IFDIR | d.mode());
                    stat.st_nlink.set(2);
                    stat.st_ino.set(d.logIndex() + 2);
                }
                case Namespace.File f -> {
                    stat.st_mode.set(FileStat.S_IFREG | fs.presentedFileMode(f.mode()));
                    stat.st_nlink.set(1);
                    stat.st_size.set(f.size());
                    stat.st_blocks.set(f.meta().fmap().allocatedBytes() / 512);
                    stat.st_ino.set(f.logIndex() + 2);
                }
            }
            stat.st_uid.set(node.uid());
            stat.st_gid.set(node.gid());
            times(stat);
            return 0;
        } catch (Throwable t) {
            return fail("getattr", path, t);
        }
    }

    private int metaAttr(MetaFile meta, FileStat stat) {
        Superblock sb = fs.famfs().superblock();
        switch (meta) {
            case DIR -> {
                stat.st_mode.set(FileStat.S_IFDIR | 0755);
                stat.st_nlink.set(2);
            }
            case SUPERBLOCK -> {
                stat.st_mode.set(FileStat.S_IFREG | 0444);
                stat.st_size.set(Superblock.REGION_SIZE);
            }
            case LOG -> {
                stat.st_mode.set(FileStat.S_IFREG | (fs.role() == Role.MASTER ? 0644 : 0444));
                stat.st_size.set(sb.logLen());
            }
            case LOGPLAY -> {
                stat.st_mode.set(FileStat.S_IFREG | 0444);
                stat.st_size.set(0);
            }
        }
        if (meta != MetaFile.DIR) {
            stat.st_nlink.set(1);
        }
        stat.st_ino.set(Integer.MAX_VALUE - meta.ordinal());
        times(stat);
        return 0;
    }

    private void times(FileStat stat) {
        long t = fs.mountedAtSeconds();
        for (Timespec ts : new Timespec[] {stat.st_atim, stat.st_mtim, stat.st_ctim}) {
            ts.tv_sec.set(t);
            ts.tv_nsec.set(0);
        }
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filter, @off_t long offset, FuseFileInfo fi) {
        fs.stats().count(FuseStats.Op.READDIR);
        try {
            if (MetaFile.at(path) == MetaFile.DIR) {
                filter.apply(buf, ".", null, 0);
                filter.apply(buf, "..", null, 0);
                for (MetaFile m : List.of(MetaFile.SUPERBLOCK, MetaFile.LOG, MetaFile.LOGPLAY)) {
                    filter.apply(buf, m.fileName, null, 0);
                }
                return 0;
            }
            Namespace.Node node = node(path);
            if (node == null) {
                return -Errno.ENOENT;
            }
            if (!(node instanceof Namespace.Dir dir)) {
                return -Errno.ENOTDIR;
            }
            filter.apply(buf, ".", null, 0);
            filter.apply(buf, "..", null, 0);
            if (path.equals("/")) {
                filter.apply(buf, MetaFile.DIR.fileName, null, 0);
            }
            for (String name : dir.children().keySet()) {
                if (path.equals("/") && name.equals(MetaFile.DIR.fileName)) {
                    continue; // a logged ".meta" is shadowed by ours
                }
                if (filter.apply(buf, name, null, 0) != 0) {
                    break;
                }
            }
            return 0;
        } catch (Throwable t) {
            return fail("readdir", path, t);
        }
    }

    @Override
    public int statfs(String path, Statvfs st) {
        fs.stats().count(FuseStats.Op.STATFS);
        try {
            Superblock sb = fs.famfs().superblock();
            long au = sb.allocUnit();
            long blocks = sb.deviceSize() / au;
            long free = Math.max(0, (sb.deviceSize() - fs.allocatedBytes()) / au);
            st.f_bsize.set(au);
            st.f_frsize.set(au);
            st.f_blocks.set(blocks);
            st.f_bfree.set(free);
            st.f_bavail.set(free);
            long entries = fs.famfs().entryCapacity();
            st.f_files.set(entries);
            st.f_ffree.set(Math.max(0, entries - fs.appliedIndex()));
            st.f_namemax.set(io.famfs.format.LogEntry.MAX_PATH_BYTES);
            return 0;
        } catch (Throwable t) {
            return fail("statfs", path, t);
        }
    }

    // ---- data ---------------------------------------------------------------------------

    @Override
    public int open(String path, FuseFileInfo fi) {
        fs.stats().count(FuseStats.Op.OPEN);
        try {
            if (fs.health().quarantined()) {
                return -Errno.EIO; // no new opens (and so no new mappings) of a quarantined device
            }
            boolean write = FileInfo.wantsWrite(fi);
            MetaFile meta = MetaFile.at(path);
            OpenFile file;
            if (meta != null) {
                file = switch (meta) {
                    case DIR -> null;
                    case SUPERBLOCK -> write ? null : region(0, Superblock.REGION_SIZE, false);
                    case LOG -> write && fs.role() != Role.MASTER ? null
                            : region(Superblock.LOG_OFFSET, fs.famfs().superblock().logLen(), write);
                    case LOGPLAY -> write ? null : new OpenFile(null, replayText(fs.replay()), false);
                };
                if (file == null) {
                    return meta == MetaFile.DIR ? -Errno.EISDIR : -Errno.EACCES;
                }
                // no page cache for meta files: the log must show other hosts' appends, and
                // .logplay's content is made per open (its size 0 must not hide it)
                FileInfo.directIo(fi);
            } else {
                Namespace.Node node = node(path);
                if (node == null) {
                    return -Errno.ENOENT;
                }
                if (!(node instanceof Namespace.File f)) {
                    return -Errno.EISDIR;
                }
                if (write && !fs.mayWriteFiles()) {
                    return -Errno.EROFS;
                }
                file = new OpenFile(new FileMapper(f.meta().fmap(), f.size()), null, write);
                prefaulter.opened(f);
                switch (fs.options().cache()) {
                    case KEEP -> FileInfo.keepCache(fi);
                    case DIRECT -> FileInfo.directIo(fi);
                    case AUTO -> {
                    }
                }
            }
            long handle = nextHandle.getAndIncrement();
            open.put(handle, file);
            FileInfo.handle(fi, handle);
            return 0;
        } catch (Throwable t) {
            return fail("open", path, t);
        }
    }

    private static OpenFile region(long offset, long length, boolean writable) {
        return new OpenFile(new FileMapper(new Fmap.Simple(List.of(new Extent(0, offset, length))), length), null, writable);
    }

    private static byte[] replayText(ReplayReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("replayed log entries %d..%d: %d files and %d directories created, %d existed, %d errors%n",
                r.fromIndex(), r.toIndex(), r.filesCreated(), r.dirsCreated(), r.existed(), r.errors()));
        for (String rejected : r.rejected()) {
            sb.append("error: ").append(rejected).append('\n');
        }
        if (r.stopReason() != null) {
            sb.append("error: ").append(r.stopReason()).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        fs.stats().count(FuseStats.Op.READ);
        try {
            OpenFile file = open.get(FileInfo.handle(fi));
            if (file == null) {
                return -Errno.EBADF;
            }
            if (offset >= file.size() || size <= 0) {
                return 0;
            }
            MemorySegment dst = MemorySegment.ofAddress(buf.address()).reinterpret(size);
            if (file.content() != null) {
                int n = (int) Math.min(size, file.content().length - offset);
                MemorySegment.copy(MemorySegment.ofArray(file.content()), offset, dst, 0, n);
                return n;
            }
            int n = transfer(file, offset, dst, false, path);
            if (n > 0) {
                fs.stats().read(n);
            }
            return n;
        } catch (Throwable t) {
            return fail("read", path, t);
        }
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        fs.stats().count(FuseStats.Op.WRITE);
        try {
            OpenFile file = open.get(FileInfo.handle(fi));
            if (file == null) {
                return -Errno.EBADF;
            }
            if (!file.writable()) {
                return -Errno.EBADF;
            }
            if (offset + size > file.size()) {
                return -Errno.EFBIG; // famfs files never grow
            }
            MemorySegment src = MemorySegment.ofAddress(buf.address()).reinterpret(size);
            int n = transfer(file, offset, src, true, path);
            if (n > 0) {
                fs.stats().wrote(n);
            }
            return n;
        } catch (Throwable t) {
            return fail("write", path, t);
        }
    }

    @Override
    public int flush(String path, FuseFileInfo fi) {
        return 0;
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        try {
            OpenFile file = open.get(FileInfo.handle(fi));
            if (file != null && file.mapper() != null) {
                file.mapper().map(0, file.size(), (off, len, d) -> fs.famfs().device().flush(off, len));
            }
            return 0;
        } catch (Throwable t) {
            return fail("fsync", path, t);
        }
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        open.remove(FileInfo.handle(fi));
        return 0;
    }

    @Override
    public int truncate(String path, @off_t long size) {
        try {
            Namespace.Node node = node(path);
            if (node instanceof Namespace.File f && f.size() == size) {
                return 0; // nothing changes
            }
            return node == null && MetaFile.at(path) == null ? -Errno.ENOENT : -Errno.EPERM;
        } catch (Throwable t) {
            return fail("truncate", path, t);
        }
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        return truncate(path, size);
    }

    // ---- everything that would allocate, remove or re-own: refused ----------------------

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        fs.stats().count(FuseStats.Op.REFUSED);
        return -Errno.EPERM;
    }

    @Override
    public int mknod(String path, @mode_t long mode, long rdev) {
        fs.stats().count(FuseStats.Op.REFUSED);
        return -Errno.EPERM;
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        fs.stats().count(FuseStats.Op.REFUSED);
        return -Errno.EPERM;
    }

    @Override
    public int unlink(String path) {
        fs.stats().count(FuseStats.Op.REFUSED);
        return -Errno.EPERM;
    }

    @Override
    public int rmdir(String path) {
        fs.stats().count(FuseStats.Op.REFUSED);
        return -Errno.EPERM;
    }

    @Override
    public int symlink(String oldpath, String newpath) {
        fs.stats().count(FuseStats.Op.REFUSED);
        return -Errno.EPERM;
    }

    @Override
    public int link(String oldpath, String newpath) {
        fs.stats().count(FuseStats.Op.REFUSED);
        return -Errno.EPERM;
    }

    @Override
    public int rename(String oldpath, String newpath) {
        fs.stats().count(FuseStats.Op.REFUSED);
        return -Errno.EPERM;
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        fs.stats().count(FuseStats.Op.REFUSED);
        return -Errno.EPERM;
    }

    @Override
    public int chown(String path, long uid, long gid) {
        fs.stats().count(FuseStats.Op.REFUSED);
        return -Errno.EPERM;
    }

    @Override
    public int fallocate(String path, int mode, @off_t long off, @off_t long length, FuseFileInfo fi) {
        fs.stats().count(FuseStats.Op.REFUSED);
        return -Errno.EPERM;
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        return 0; // famfs keeps no times; accept so that touch(1) on an existing file works
    }

    /** The attributes of a path; null when it does not exist. */
    private Map<String, byte[]> xattrs(String path) {
        if (path.equals("/")) {
            return Xattrs.root(fs, home, brokerSocket);
        }
        if (MetaFile.at(path) != null) {
            return Map.of();
        }
        Namespace.Node node = node(path);
        if (node == null) {
            return null;
        }
        return node instanceof Namespace.File f ? Xattrs.file(fs, f, brokerSocket) : Map.of();
    }

    private volatile MountHome home;
    private volatile java.nio.file.Path brokerSocket;

    void home(MountHome h, java.nio.file.Path broker) {
        this.home = h;
        this.brokerSocket = broker;
    }

    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long size) {
        try {
            Map<String, byte[]> attrs = xattrs(path);
            if (attrs == null) {
                return -Errno.ENOENT;
            }
            byte[] v = attrs.get(name);
            if (v == null) {
                return -Errno.ENODATA; // never ENOSYS: the kernel would stop asking for any name
            }
            if (size == 0) {
                return v.length;
            }
            if (size < v.length) {
                return -Errno.ERANGE;
            }
            value.put(0, v, 0, v.length);
            return v.length;
        } catch (Throwable t) {
            return fail("getxattr", path, t);
        }
    }

    @Override
    public int listxattr(String path, Pointer list, @size_t long size) {
        try {
            Map<String, byte[]> attrs = xattrs(path);
            if (attrs == null) {
                return -Errno.ENOENT;
            }
            java.io.ByteArrayOutputStream names = new java.io.ByteArrayOutputStream();
            for (String n : attrs.keySet()) {
                names.writeBytes(n.getBytes(StandardCharsets.UTF_8));
                names.write(0);
            }
            byte[] v = names.toByteArray();
            if (size == 0) {
                return v.length;
            }
            if (size < v.length) {
                return -Errno.ERANGE;
            }
            list.put(0, v, 0, v.length);
            return v.length;
        } catch (Throwable t) {
            return fail("listxattr", path, t);
        }
    }

    @Override
    public int removexattr(String path, String name) {
        fs.stats().count(FuseStats.Op.REFUSED);
        return -Errno.EPERM;
    }

    @Override
    public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
        fs.stats().count(FuseStats.Op.REFUSED);
        return -Errno.EPERM;
    }
}
