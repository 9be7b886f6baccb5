package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.device.MemoryDevice;
import io.famfs.format.LogHeader;
import io.famfs.format.Superblock;
import io.famfs.log.NodeIdentity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.UUID;

/**
 * {@code mkfs.famfs [-f] [-k] [-l LOGLEN] DEVICE}. Writes the log first and the
 * superblock last (each flushed), so a valid superblock always describes a formatted log
 * even if mkfs is interrupted; re-making a file system first invalidates the old magic.
 * Failures exit with status 2, as upstream's.
 */
@Command(name = "mkfs", mixinStandardHelpOptions = true,
        description = "Create a famfs file system on a memory device (also run as mkfs.famfs).")
class MkfsCommand extends Subcommand {
    static final long MIN_DEVICE_SIZE = 4L << 30;

    @Option(names = {"-f", "--force"}, description = "Create even if a valid superblock exists")
    boolean force;

    @Option(names = {"-k", "--kill"}, description = "With -f: only invalidate the superblock (without -f: a normal mkfs, as upstream)")
    boolean kill;

    @Option(names = {"-v", "--verbose"}, description = "Say more (repeatable)")
    boolean[] verbose = new boolean[0];

    @Option(names = "--fuse", description = "Accepted for compatibility: famfs-java is always FUSE")
    boolean fuse;

    @Option(names = {"-F", "--nofuse"}, description = "Upstream's v1 kernel-module mode: not supported (an error)")
    boolean noFuse;

    @Option(names = {"-l", "--loglen"}, paramLabel = "SIZE", converter = Modes.Size.class,
            description = "Log length, a power of two >= 8m (default 8m)")
    long logLen = LogHeader.MIN_LOG_LEN;

    @Parameters(paramLabel = "MEMDEVICE", description = "dax device, pmem device or file")
    Path device;

    /** Upstream's mkfs fails with status 2 for everything but a missing operand or not being root. */
    static final int FAILED = 2;

    @Override
    public Integer call() {
        try {
            return make();
        } catch (FamfsException e) {
            throw e.exitCode() == FamfsException.GENERIC ? new FamfsException(e.getMessage(), FAILED) : e;
        } catch (io.famfs.device.DeviceException e) {
            throw new FamfsException(e.getMessage(), FAILED);
        }
    }

    private int make() {
        Compat.refuseNoFuse(noFuse, FAILED);
        if (logLen < LogHeader.MIN_LOG_LEN || Long.bitCount(logLen) != 1) {
            throw new FamfsException("log length " + logLen + " must be a power of two of at least 8 MiB");
        }
        refuseIfMounted(device);
        try (MemoryDevice dev = MemoryDevice.open(device, true)) {
            Superblock sb = new Superblock(dev.memory());
            Superblock.Status status = sb.check();
            if (kill && force) {
                // as upstream, with or without a superblock there: scripts run it to clear a device
                if (status != Superblock.Status.BAD_MAGIC) {
                    sb.kill();
                    dev.flush(0, Superblock.SIZE);
                }
                out().println("Famfs superblock killed");
                if (verbose.length > 0) {
                    out().println("  " + device + ": " + (status == Superblock.Status.BAD_MAGIC
                            ? "held no famfs superblock" : "superblock magic cleared"));
                }
                return 0;
            }
            checkGeometry(dev);
            UUID node = NodeIdentity.systemUuid();
            if (status != Superblock.Status.BAD_MAGIC && !force) {
                if (status.isValid() && !sb.systemUuid().equals(node)) {
                    throw new FamfsException(device + ": holds a famfs owned by another master ("
                            + sb.systemUuid() + "); use -f to overwrite it");
                }
                throw new FamfsException(device + ": already holds a famfs file system"
                        + (status.isValid() ? "" : " (" + sb.describe(status) + ")") + "; use -f to overwrite it");
            }
            if (status != Superblock.Status.BAD_MAGIC) {
                sb.kill();
                dev.flush(0, Superblock.SIZE);
            }
            LogHeader log = new LogHeader(dev.memory().asSlice(Superblock.LOG_OFFSET, logLen));
            log.format(logLen);
            dev.flush(Superblock.LOG_OFFSET, logLen);
            UUID fsUuid = UUID.randomUUID();
            sb.format(logLen, fsUuid, UUID.randomUUID(), node, dev.size(), device.toString());
            dev.flush(0, Superblock.SIZE);
            if (verbose.length > 0) {
                out().printf("devsize: %d%n", dev.size()); // upstream's first line
            }
            out().printf("famfs file system created on %s%n", device);
            out().printf("  device size:   %d%n  log length:    %d (%d entries)%n  fs uuid:       %s%n"
                            + "  system uuid:   %s (this node is the master)%n",
                    dev.size(), logLen, LogHeader.lastIndexFor(logLen) + 1, fsUuid, node);
            return 0;
        }
    }

    /**
     * A device that a famfs mount on this host serves is never re-made or killed, whatever
     * the flags: the mount would go on serving the old tree over the new file system.
     */
    static void refuseIfMounted(Path device) {
        for (io.famfs.fuse.MountTable.Mount m : io.famfs.fuse.MountTable.famfsMounts()) {
            if (sameFile(m.device(), device)) {
                throw new FamfsException(device + ": is mounted at " + m.mountPoint()
                        + " (famfs umount " + m.mountPoint() + " first; -f does not override this)");
            }
        }
    }

    static boolean sameFile(Path a, Path b) {
        try {
            return java.nio.file.Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    private void checkGeometry(MemoryDevice dev) {
        if (dev.size() < MIN_DEVICE_SIZE) {
            throw new FamfsException(device + ": device is " + dev.size() + " bytes; famfs needs at least 4 GiB");
        }
        if (dev.size() % Superblock.ALLOC_UNIT != 0) {
            throw new FamfsException(device + ": size " + dev.size()
                    + " is not a multiple of the 2 MiB allocation unit (wrong alignment)");
        }
        if (Superblock.LOG_OFFSET + logLen + Superblock.ALLOC_UNIT > dev.size()) {
            throw new FamfsException("log length " + logLen + " leaves no room for data on " + device);
        }
    }
}
