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
 */
@Command(name = "mkfs", mixinStandardHelpOptions = true,
        description = "Create a famfs file system on a memory device (also run as mkfs.famfs).")
class MkfsCommand extends Subcommand {
    static final long MIN_DEVICE_SIZE = 4L << 30;

    @Option(names = {"-f", "--force"}, description = "Create even if a valid superblock exists")
    boolean force;

    @Option(names = {"-k", "--kill"}, description = "Invalidate an existing superblock (needs -f)")
    boolean kill;

    @Option(names = {"-l", "--loglen"}, paramLabel = "SIZE", converter = Modes.Size.class,
            description = "Log length, a power of two >= 8m (default 8m)")
    long logLen = LogHeader.MIN_LOG_LEN;

    @Parameters(paramLabel = "MEMDEVICE", description = "dax device, pmem device or file")
    Path device;

    @Override
    public Integer call() {
        if (logLen < LogHeader.MIN_LOG_LEN || Long.bitCount(logLen) != 1) {
            throw new FamfsException("log length " + logLen + " must be a power of two of at least 8 MiB");
        }
        if (kill && !force) {
            throw new FamfsException("--kill destroys the file system on " + device + "; add -f to confirm");
        }
        refuseIfMounted(device);
        try (MemoryDevice dev = MemoryDevice.open(device, true)) {
            Superblock sb = new Superblock(dev.memory());
            Superblock.Status status = sb.check();
            if (kill) {
                if (status == Superblock.Status.BAD_MAGIC) {
                    throw new FamfsException(device + ": no famfs superblock to kill");
                }
                sb.kill();
                dev.flush(0, Superblock.SIZE);
                out().println("famfs superblock on " + device + " invalidated");
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
