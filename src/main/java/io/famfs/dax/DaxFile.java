package io.famfs.dax;

import io.famfs.device.Libc;
import io.famfs.device.UnixSocket;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;

/**
 * A famfs file mapped straight onto the device: one contiguous {@link MemorySegment}
 * whose loads and stores go to the shared memory itself (no FUSE, no page cache, no
 * copies), so every host that maps the file sees the same bytes.
 *
 * <pre>{@code
 * try (DaxFile f = DaxFile.map(Path.of("/mnt/famfs/data/blob"), false)) {
 *     long first = f.segment().get(ValueLayout.JAVA_LONG, 0);
 * }
 * }</pre>
 *
 * <p>The file's map comes from the mount ({@code user.famfs.fmap}); the device is opened
 * directly when the caller may, else through the mount's broker, which checks the
 * caller's credentials and hands out a read-only or read-write descriptor. The address
 * range is reserved first, aligned to 2 MiB (devdax's alignment), and each extent (or,
 * for an interleaved file, each chunk) is placed in it with {@code MAP_FIXED}, so the
 * segment is contiguous in file order. {@link #close} unmaps it; using the segment after
 * that is undefined, as for any unmapped memory. A memory error under the mapping raises
 * SIGBUS in this process (in Java: {@link InternalError}), not in the server.
 */
public final class DaxFile implements AutoCloseable {
    static final long ALIGN = 2L << 20;

    /** How the device is reached. */
    public enum Access {
        /** Open the device if permitted, else ask the broker. */
        AUTO,
        /** Always ask the broker (the path unprivileged programs take). */
        BROKER
    }

    /** A refusal of the broker or the kernel, with its errno. */
    public static final class DaxException extends IOException {
        private final int errno;

        DaxException(int errno, String message) {
            super(message);
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }

    private final MemorySegment segment;
    private final long reservation;
    private final long reservedLength;
    private final boolean viaBroker;
    private final boolean writable;
    private boolean closed;

    private DaxFile(MemorySegment segment, long reservation, long reservedLength, boolean viaBroker, boolean writable) {
        this.segment = segment;
        this.reservation = reservation;
        this.reservedLength = reservedLength;
        this.viaBroker = viaBroker;
        this.writable = writable;
    }

    public static DaxFile map(Path file, boolean writable) throws IOException {
        return map(file, writable, Access.AUTO);
    }

    /** Maps {@code file} (a file in a famfs mount) read-only or read-write. */
    public static DaxFile map(Path file, boolean writable, Access access) throws IOException {
        // the broker knows the mount by its real path (symlinks resolved, as the kernel
        // lists it): a file reached through a symlinked path is asked for by that path
        Path abs = file.toRealPath();
        String fmapText = xattr(abs, "famfs.fmap");
        if (fmapText == null) {
            throw new DaxException(61, file + ": not a file in a famfs mount (no user.famfs.fmap)");
        }
        FileMap fmap = FileMap.parse(fmapText);
        int fd = -1;
        boolean brokered = false;
        if (access == Access.AUTO) {
            String device = xattr(abs, "famfs.device");
            try {
                fd = Libc.open(device, writable ? Libc.O_RDWR : Libc.O_RDONLY);
            } catch (Libc.NativeException e) {
                if (e.errno() != Libc.EACCES && e.errno() != Libc.EPERM) {
                    throw new DaxException(e.errno(), device + ": " + e.getMessage());
                }
            }
        }
        if (fd < 0) {
            String broker = xattr(abs, "famfs.broker");
            if (broker == null) {
                throw new DaxException(Libc.EACCES, file + ": the device cannot be opened and the mount has no broker");
            }
            Grant g = ask(Path.of(broker), abs.toString(), writable);
            fd = g.fd;
            fmap = FileMap.parse(g.fmap); // the broker's map is the one that goes with its grant
            brokered = true;
        }
        try {
            return place(fmap, fd, writable, brokered);
        } finally {
            Libc.close(fd);
        }
    }

    /** A granted descriptor and the map it goes with. */
    record Grant(int fd, String fmap) {
    }

    /** Asks a broker for a descriptor (see docs/direct-access.md for the protocol). */
    static Grant ask(Path socket, String path, boolean writable) throws IOException {
        try (UnixSocket s = UnixSocket.connect(socket)) {
            s.send(("MAP1 " + (writable ? "rw " : "r ") + path).getBytes(StandardCharsets.UTF_8), -1);
            UnixSocket.Message reply = s.receive(64 << 10);
            String text = reply.text();
            if (text.startsWith("OK\n") && reply.fd() >= 0) {
                return new Grant(reply.fd(), text.substring(3));
            }
            if (reply.fd() >= 0) {
                Libc.close(reply.fd());
            }
            if (text.startsWith("ERR ")) {
                String[] p = text.strip().split(" ", 3);
                int errno = Integer.parseInt(p[1]);
                throw new DaxException(errno, path + ": " + (p.length > 2 ? p[2] : Libc.strerror(errno)));
            }
            throw new DaxException(71, path + ": unexpected broker reply");
        } catch (Libc.NativeException e) {
            throw new DaxException(e.errno(), socket + ": " + e.getMessage());
        }
    }

    private static DaxFile place(FileMap fmap, int fd, boolean writable, boolean brokered) throws DaxException {
        long span = roundUp(Math.max(fmap.size(), 1), ALIGN);
        long reserveLen = span + ALIGN;
        long base = Libc.mmap(0, reserveLen, Libc.PROT_NONE,
                Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
        long start = roundUp(base, ALIGN);
        int prot = writable ? Libc.PROT_READ | Libc.PROT_WRITE : Libc.PROT_READ;
        try {
            for (FileMap.Piece p : fmap.pieces(span)) {
                Libc.mmap(start + p.fileOffset(), p.length(), prot, Libc.MAP_SHARED | Libc.MAP_FIXED, fd, p.deviceOffset());
            }
        } catch (Libc.NativeException e) {
            Libc.munmap(base, reserveLen);
            throw new DaxException(e.errno(), "mapping the device: " + e.getMessage());
        }
        return new DaxFile(MemorySegment.ofAddress(start).reinterpret(fmap.size()), base, reserveLen, brokered, writable);
    }

    static long roundUp(long v, long to) {
        return (v + to - 1) / to * to;
    }

    static String xattr(Path p, String name) throws IOException {
        UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
        if (v == null || !v.list().contains(name)) {
            return null;
        }
        ByteBuffer b = ByteBuffer.allocate(65536); // XATTR_SIZE_MAX: the value may change between a size() and a read()
        v.read(name, b);
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    /** The file's bytes, on the device. */
    public MemorySegment segment() {
        if (closed) {
            throw new IllegalStateException("unmapped");
        }
        return segment;
    }

    public long size() {
        return segment.byteSize();
    }

    /** True when the descriptor came from the mount's broker. */
    public boolean viaBroker() {
        return viaBroker;
    }

    public boolean writable() {
        return writable;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Libc.munmap(reservation, reservedLength);
        }
    }

    /** The parsed {@code user.famfs.fmap} (version 1). */
    record FileMap(long size, boolean interleaved, long nstrips, long chunk, List<long[]> extents) {
        record Piece(long fileOffset, long deviceOffset, long length) {
        }

        static FileMap parse(String text) throws DaxException {
            String[] lines = text.split("\n");
            try {
                if (lines.length < 3 || !lines[0].equals("famfs-fmap 1") || !lines[1].startsWith("size ")) {
                    throw new DaxException(22, "unknown fmap encoding: " + (lines.length == 0 ? "" : lines[0]));
                }
                long size = Long.parseLong(lines[1].substring(5));
                String[] kind = lines[2].split(" ");
                boolean inter = kind[0].equals("interleaved");
                long n = Long.parseLong(kind[1]);
                long chunk = inter ? Long.parseLong(kind[2]) : 0;
                List<long[]> ext = new ArrayList<>();
                for (int i = 3; i < lines.length; i++) {
                    String[] f = lines[i].split(" ");
                    ext.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
                }
                if (ext.size() != n || (inter && (chunk <= 0 || chunk % ALIGN != 0))) {
                    throw new DaxException(22, "inconsistent fmap");
                }
                return new FileMap(size, inter, n, chunk, ext);
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                throw new DaxException(22, "malformed fmap: " + e.getMessage());
            }
        }

        /** Device pieces covering file bytes [0, span), in file order. */
        List<Piece> pieces(long span) {
            List<Piece> out = new ArrayList<>();
            if (!interleaved) {
                long off = 0;
                for (long[] e : extents) {
                    if (off >= span) {
                        break;
                    }
                    long len = Math.min(e[1], span - off);
                    out.add(new Piece(off, e[0], len));
                    off += len;
                }
                return out;
            }
            for (long c = 0; c * chunk < span; c++) {
                long[] strip = extents.get((int) (c % nstrips));
                long dev = strip[0] + (c / nstrips) * chunk;
                out.add(new Piece(c * chunk, dev, Math.min(chunk, span - c * chunk)));
            }
            return out;
        }
    }
}
