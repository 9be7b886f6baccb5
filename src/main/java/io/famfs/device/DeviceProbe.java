package io.famfs.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds what a device path is and how big it is. Character and block devices report
 * size 0 through stat, so their size (and devdax alignment) comes from sysfs by
 * major:minor: {@code /sys/dev/char/M:m/size} for devdax (bytes), {@code
 * /sys/dev/block/M:m/size} for block devices (512-byte sectors).
 */
public final class DeviceProbe {
    /** Device geometry as probed. */
    public record Geometry(DeviceKind kind, long size, long alignment, Path sysfsNode) {
    }

    private static final long DEFAULT_DAX_ALIGN = 2L << 20;
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFREG = 0100000;

    private final Path sysfs;

    public DeviceProbe() {
        this(Path.of("/sys"));
    }

    DeviceProbe(Path sysfs) {
        this.sysfs = sysfs;
    }

    public Geometry probe(Path device) {
        if (!Files.exists(device)) {
            throw new DeviceException(device + ": no such device or file");
        }
        int mode;
        long rdev;
        try {
            mode = (Integer) Files.getAttribute(device, "unix:mode");
            rdev = (Long) Files.getAttribute(device, "unix:rdev");
        } catch (IOException | UnsupportedOperationException e) {
            throw new DeviceException(device + ": cannot stat: " + e.getMessage());
        }
        int type = mode & S_IFMT;
        String majMin = major(rdev) + ":" + minor(rdev);
        if (type == S_IFREG) {
            try {
                return new Geometry(DeviceKind.FILE, Files.size(device), 4096, null);
            } catch (IOException e) {
                throw new DeviceException(device + ": cannot read size: " + e.getMessage());
            }
        }
        if (type == S_IFCHR) {
            Path dir = sysfs.resolve("dev/char").resolve(majMin);
            Path size = dir.resolve("size");
            if (!Files.exists(size)) {
                throw new DeviceException(device + ": character device " + majMin + " is not a devdax device");
            }
            long align = Files.exists(dir.resolve("align")) ? readLong(dir.resolve("align")) : DEFAULT_DAX_ALIGN;
            return new Geometry(DeviceKind.DEVDAX, readLong(size), align, dir);
        }
        if (type == S_IFBLK) {
            Path node = sysfs.resolve("dev/block").resolve(majMin);
            return new Geometry(DeviceKind.BLOCK, readLong(node.resolve("size")) * 512, 4096, node);
        }
        throw new DeviceException(device + ": not a memory device (expected /dev/daxX.Y, a pmem block device or a file)");
    }

    private static long readLong(Path p) {
        try {
            return Long.parseLong(Files.readString(p).trim());
        } catch (IOException | NumberFormatException e) {
            throw new DeviceException("cannot read " + p + ": " + e.getMessage());
        }
    }

    static long major(long rdev) {
        return ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
    }

    static long minor(long rdev) {
        return (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
    }

}
