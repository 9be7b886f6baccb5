package io.famfs.device;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * One memory device mapped whole into this process: a devdax char device, a pmem block
 * device or a regular file. The mapping is MAP_SHARED, so stores are seen by every other
 * process (and, on shared fabric memory, every other host) mapping the same device.
 *
 * <p>The open file descriptor doubles as this host's famfs lock: {@code flock} on it
 * serialises every writer process and thread on the host (each writer opens its own
 * descriptor, and flock locks belong to the open file description).
 */
public final class MemoryDevice implements AutoCloseable {
    private static final long PAGE = 4096;

    private final Path path;
    private final DeviceKind kind;
    private final long size;
    private final long alignment;
    private final boolean writable;
    private final int fd;
    private final long address;
    private final MemorySegment memory;
    /** Owns the mapping when the JDK made it (read-only files), else null (we munmap). */
    private final Arena arena;
    private final Path sysfsNode;
    private volatile boolean closed;

    private MemoryDevice(Path path, DeviceProbe.Geometry geometry, boolean writable, int fd, long address) {
        this(path, geometry, writable, fd, address, MemorySegment.ofAddress(address).reinterpret(geometry.size()), null);
    }

    private MemoryDevice(Path path, DeviceProbe.Geometry geometry, boolean writable, int fd, long address,
                         MemorySegment raw, Arena arena) {
        this.path = path;
        this.kind = geometry.kind();
        this.size = geometry.size();
        this.alignment = geometry.alignment();
        this.sysfsNode = geometry.sysfsNode();
        this.writable = writable;
        this.fd = fd;
        this.address = address;
        this.arena = arena;
        this.memory = writable ? raw : raw.asReadOnly();
    }

    /** Opens and maps the whole device. */
    public static MemoryDevice open(Path path, boolean writable) {
        DeviceProbe.Geometry geometry = new DeviceProbe().probe(path);
        if (geometry.size() <= 0) {
            throw new DeviceException(path + ": device is empty");
        }
        if (geometry.kind() == DeviceKind.DEVDAX && geometry.size() % geometry.alignment() != 0) {
            throw new DeviceException(path + ": devdax size " + geometry.size()
                    + " is not a multiple of its alignment " + geometry.alignment());
        }
        if (!writable && geometry.kind() == DeviceKind.FILE) {
            return mapReadOnlyFile(path, geometry);
        }
        int fd;
        try {
            fd = Libc.open(path.toString(), writable ? Libc.O_RDWR : Libc.O_RDONLY);
        } catch (Libc.NativeException e) {
            if (e.errno() == Libc.EACCES || e.errno() == Libc.EPERM) {
                throw new DeviceException(path + ": permission denied (" + (writable ? "read-write" : "read")
                        + " access needed; famfs usually runs as root)");
            }
            throw new DeviceException(path + ": cannot open: " + e.getMessage());
        }
        try {
            long address = Libc.mmap(fd, geometry.size(), writable);
            return new MemoryDevice(path, geometry, writable, fd, address);
        } catch (Libc.NativeException e) {
            Libc.close(fd);
            throw new DeviceException(path + ": cannot map " + geometry.size() + " bytes: " + e.getMessage());
        }
    }

    /**
     * A read-only image file, mapped by the JDK (MAP_SHARED, PROT_READ) rather than through
     * libc: the same mapping, without linking native calls, which is most of a short
     * command's cost (fsck, getmap, verify of an image). No descriptor: only writers flock.
     */
    private static MemoryDevice mapReadOnlyFile(Path path, DeviceProbe.Geometry geometry) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment raw = ch.map(FileChannel.MapMode.READ_ONLY, 0, geometry.size(), arena);
            return new MemoryDevice(path, geometry, false, -1, raw.address(), raw, arena);
        } catch (java.nio.file.AccessDeniedException e) {
            arena.close();
            throw new DeviceException(path + ": permission denied (read access needed; famfs usually runs as root)");
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw new DeviceException(path + ": cannot map " + geometry.size() + " bytes: " + e.getMessage());
        }
    }

    public Path path() {
        return path;
    }

    public DeviceKind kind() {
        return kind;
    }

    public long size() {
        return size;
    }

    /** The device's sysfs node ({@code /sys/dev/char/M:m} or {@code /sys/dev/block/M:m}); none for files. */
    public java.util.Optional<Path> sysfsNode() {
        return java.util.Optional.ofNullable(sysfsNode);
    }

    public long alignment() {
        return alignment;
    }

    public boolean writable() {
        return writable;
    }

    /** The whole device. Read-only segments reject stores before they reach the mapping. */
    public MemorySegment memory() {
        return memory;
    }

    /** The descriptor to flock for the host-wide famfs lock (-1 for a read-only image file). */
    public int fd() {
        return fd;
    }

    /**
     * Makes stores to [offset, offset+length) visible and durable before anything ordered
     * after this call: a full fence orders them on this CPU (x86 is TSO and fabric memory
     * is coherent), and msync writes file- and block-backed pages back to their medium.
     * Devdax mappings have no page cache to write back.
     */
    public void flush(long offset, long length) {
        VarHandle.fullFence();
        if (kind == DeviceKind.DEVDAX || !writable || length <= 0) {
            return;
        }
        long start = offset & ~(PAGE - 1);
        long end = Math.min(size, offset + length);
        Libc.msync(address + start, end - start);
    }

    /**
     * Asks the kernel to map [offset, offset+length) into our page tables in one call
     * (MADV_POPULATE_READ/WRITE) before a bulk copy: far cheaper than taking one page
     * fault per 4 KiB page when a file-backed device has small pages. Only advice:
     * kernels before 5.14 decline and the copy faults pages in as usual.
     */
    public void prefault(long offset, long length, boolean forWrite) {
        if (length <= 0 || (forWrite && !writable)) {
            return;
        }
        long start = offset & ~(PAGE - 1);
        long end = Math.min(size, offset + length);
        Libc.madvise(address + start, end - start, forWrite ? Libc.MADV_POPULATE_WRITE : Libc.MADV_POPULATE_READ);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (arena != null) {
            arena.close();
            return;
        }
        Libc.munmap(address, size);
        Libc.close(fd);
    }
}
