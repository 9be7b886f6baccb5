package io.famfs.ras;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Reads the bad blocks the kernel reports for a pmem or dax device. sysfs lists them as
 * "first_sector count" lines (512-byte sectors) in a {@code badblocks} file of the block
 * device, or of the nvdimm region a dax device belongs to; we find it by walking up from
 * the device's sysfs node. A regular file has none.
 */
public final class BadblocksMonitor {
    private final Path badblocks;

    private BadblocksMonitor(Path badblocks) {
        this.badblocks = badblocks;
    }

    /** The monitor for a device's sysfs node ({@code /sys/dev/char/M:m} or {@code /sys/dev/block/M:m}), if any. */
    public static Optional<BadblocksMonitor> forSysfsNode(Path node) {
        try {
            Path p = node.toRealPath();
            for (int depth = 0; p != null && depth < 8; depth++, p = p.getParent()) {
                Path candidate = p.resolve("badblocks");
                if (Files.isReadable(candidate)) {
                    return Optional.of(new BadblocksMonitor(candidate));
                }
            }
        } catch (IOException e) {
            // no sysfs node: nothing to monitor
        }
        return Optional.empty();
    }

    public Path file() {
        return badblocks;
    }

    /** The first bad range as (byte offset, byte length), if the kernel lists any. */
    public Optional<long[]> firstBadRange() {
        try {
            List<String> lines = Files.readAllLines(badblocks);
            for (String line : lines) {
                String[] f = line.trim().split("\\s+");
                if (f.length == 2) {
                    return Optional.of(new long[] {Long.parseLong(f[0]) * 512, Long.parseLong(f[1]) * 512});
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unreadable or odd: report nothing rather than a false positive
        }
        return Optional.empty();
    }
}
