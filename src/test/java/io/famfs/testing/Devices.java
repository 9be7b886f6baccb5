package io.famfs.testing;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** File-backed stand-ins for dax devices: sparse files in /dev/shm (tmpfs, shared memory). */
public final class Devices {
    public static final long GIB = 1L << 30;
    public static final String MASTER = "9b1c2a3e-1111-4222-8333-444455556666";
    public static final String CLIENT = "0c0c0c0c-2222-4333-8444-555566667777";

    private Devices() {
    }

    /** A new sparse file of {@code size} bytes; deleted by the caller (or at JVM exit). */
    public static Path create(String name, long size) {
        try {
            Path dir = Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir"));
            Path p = Files.createTempFile(dir, "famfs-test-" + name + "-", ".img");
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                f.setLength(size);
            }
            p.toFile().deleteOnExit();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Acts as node {@code uuid} from now on in this JVM. */
    public static void actAs(String uuid) {
        System.setProperty("FAMFS_SYSTEM_UUID", uuid);
    }

    /**
     * SHA-256 of the first {@code length} bytes: to prove a failed command changed nothing.
     * (Not CRC-32: famfs structures embed their own CRC, and a CRC over data followed by
     * its CRC is a constant, so it could not see a changed superblock.)
     */
    public static String checksum(Path p, long length) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            MessageDigest crc = MessageDigest.getInstance("SHA-256");
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            long pos = 0;
            while (pos < length) {
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), length - pos));
                int n = ch.read(buf, pos);
                if (n <= 0) {
                    break;
                }
                buf.flip();
                crc.update(buf);
                pos += n;
            }
            return HexFormat.of().formatHex(crc.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void delete(Path p) {
        try {
            if (p != null) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
