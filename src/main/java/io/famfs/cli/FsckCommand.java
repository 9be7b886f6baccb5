package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.log.Famfs;
import io.famfs.log.FsckReport;
import io.famfs.log.NodeIdentity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * {@code famfs fsck DEVICE}: superblock, log, cross-linked allocations. Exit status as
 * upstream is the number of allocation collisions (capped at 255); unlike upstream, invalid
 * or refused log entries and a corrupt log header also fail (status 1 when there are no
 * collisions), so scripts cannot mistake a damaged log for a healthy one.
 */
@Command(name = "fsck",
        description = "Check a famfs: superblock, log and cross-linked allocations.")
class FsckCommand extends Subcommand {
    @Option(names = {"-v", "--verbose"}, description = "More detail (repeatable)")
    boolean[] verbose = new boolean[0];

    @Option(names = {"-h", "--human"}, description = "Print sizes in GiB with two decimals, as upstream")
    boolean human;

    @Option(names = "--fuse", description = "Accepted for compatibility: famfs-java is always FUSE")
    boolean fuse;

    @Option(names = {"-F", "--nofuse"}, description = "Upstream's v1 kernel-module mode: not supported (an error)")
    boolean noFuse;

    @Option(names = {"-m", "--mmap"}, description = "Accepted for compatibility (upstream: map the meta files; the default)")
    boolean mmapMeta;

    @Option(names = {"-r", "--read"}, description = "Accepted for compatibility (upstream: read() the meta files)")
    boolean readMeta;

    @Option(names = {"-f", "--force"}, description = "Accepted for compatibility")
    boolean force;

    @Option(names = {"-B", "--nbuckets"}, paramLabel = "N", description = "Print allocation per bucket")
    int nbuckets;

    @Option(names = "--json", description = "Print the report as JSON")
    boolean json;

    @Option(names = "--help", usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Parameters(paramLabel = "MEMDEVICE|PATH", description = "famfs device or image, or a path in a famfs mount")
    Path device;

    /** Upstream's exit status for fsck of a device that is mounted (EBUSY). */
    static final int MOUNTED = 16;
    /** Upstream's exit status for a path that does not exist (ENOENT). */
    static final int MISSING = 2;

    @Override
    public Integer call() {
        Compat.refuseNoFuse(noFuse, 1);
        Compat.readOrMmap(readMeta, mmapMeta);
        if (nbuckets < 0 || nbuckets > 1024) {
            throw new FamfsException("--nbuckets must be between 0 and 1024");
        }
        Path dev = target();
        try (Famfs fs = Famfs.open(dev, false)) {
            FsckReport r = FsckReport.scan(fs, NodeIdentity.systemUuid(), nbuckets);
            if (json) {
                Json.print(out(), r);
            } else {
                print(out(), r);
                for (String p : r.problems()) {
                    err().println("famfs fsck: " + p);
                }
                if (r.logProblem() != null) {
                    err().println("famfs fsck: " + r.logProblem());
                }
            }
            if (r.collisions() > 0) {
                return (int) Math.min(255, r.collisions());
            }
            return r.errorCount() > 0 ? 1 : 0;
        }
    }

    /**
     * The device to check. As upstream, a path in a famfs mount (the mount point, a file or
     * a directory in it) is checked through its mount, and a device that a mount on this
     * host serves is refused (fsck the mount instead): status 16.
     */
    private Path target() {
        java.util.Optional<io.famfs.fuse.MountTable.Mount> in = io.famfs.fuse.MountTable.containing(device);
        if (in.isPresent()) {
            return in.get().device();
        }
        if (!java.nio.file.Files.exists(device)) {
            throw new FamfsException(device + ": no such device or file", MISSING);
        }
        for (io.famfs.fuse.MountTable.Mount m : io.famfs.fuse.MountTable.famfsMounts()) {
            if (MkfsCommand.sameFile(m.device(), device)) {
                throw new FamfsException(device + ": is mounted at " + m.mountPoint()
                        + " (fsck the mount instead: famfs fsck " + m.mountPoint() + ")", MOUNTED);
            }
        }
        if (java.nio.file.Files.isDirectory(device)) {
            throw new FamfsException(device + ": a directory that is not in a famfs mount");
        }
        return device;
    }

    private String size(long bytes) {
        if (!human) {
            return Long.toString(bytes);
        }
        return String.format("%.2fG", bytes / (double) (1L << 30));
    }

    /** Mirrors upstream's fsck text (see the golden fsck outputs) so diffs stay meaningful. */
    private void print(PrintWriter o, FsckReport r) {
        o.println("Famfs Superblock:");
        o.printf("  Filesystem UUID:   %s%n", r.fsUuid());
        o.printf("  Device UUID:       %s%n", r.devUuid());
        o.printf("  System UUID:       %s%n", r.systemUuid());
        o.printf("  role of this node: %s%n", switch (r.role()) {
            case MASTER -> "Owner";
            case CLIENT -> "Client";
            case NOSUPER -> "No superblock";
        });
        o.printf("  alloc_unit:        0x%x%n", r.allocUnit());
        o.printf("  OMF major version: %d%n", r.omfMajor());
        o.printf("  OMF minor version: %d%n", r.omfMinor());
        o.printf("  sizeof superblock: %d%n", io.famfs.format.Superblock.SIZE);
        o.printf("  log size (bytes):  %d%n", r.logLen());
        o.printf("  primary: %s   %d%n", r.deviceName(), r.deviceSize());
        o.println();
        o.println("Log stats:");
        if (r.logProblem() != null) {
            o.printf("  LOG HEADER INVALID: %s%n", r.logProblem());
        }
        o.printf("  # of log entries in use: %d of %d%n", r.entriesUsed(), r.entryCapacity());
        o.printf("  Log size in use:          %d%n", r.logBytesInUse());
        o.printf("  Log size (total bytes)    %d%n", r.logLen());
        if (r.collisions() > 0) {
            o.printf("  ERROR: %d ALLOCATION COLLISIONS FOUND%n", r.collisions());
        } else {
            o.println("  No allocation errors found");
        }
        o.println();
        o.println("Capacity:");
        o.printf("  Device capacity:        %s%n", size(r.deviceSize()));
        o.printf("  Bitmap capacity:        %s%n", size(r.bitmapCapacity()));
        o.printf("  Sum of file sizes:      %s%n", size(r.sumFileSizes()));
        o.printf(human ? "  Allocated space:        %s%n" : "  Allocated bytes:        %s%n", size(r.allocatedBytes()));
        o.printf("  Free space:             %s%n", size(r.freeSpace()));
        o.printf("  Space amplification:     %.2f%n", r.spaceAmplification());
        o.printf("  Percent used:            %.1f%%%n", r.percentUsed());
        for (FsckReport.Bucket b : r.buckets()) {
            o.printf("  bucket %3d at 0x%x: %s of %s allocated (%.1f%%)%n", b.index(), b.offset(),
                    size(b.allocatedBytes()), size(b.size()), 100.0 * b.allocatedBytes() / b.size());
        }
        o.println();
        o.println("Famfs log:");
        o.printf("  %d of %d entries used%n", r.entriesUsed(), r.entryCapacity());
        o.printf("  %d bad log entries detected%n", r.badEntries());
        o.printf("  %d files%n", r.files());
        o.printf("  %d directories%n", r.dirs());
        o.println();
        if (verbose.length > 0) {
            printVerbose(o, r);
            for (String p : r.problems()) {
                o.println("  problem: " + p);
            }
        }
        o.flush();
    }

    /** Upstream's {@code Verbose:} block (scripts read {@code log_len:}); struct sizes of the on-media format. */
    private static void printVerbose(PrintWriter o, FsckReport r) {
        long lastIndex = r.entryCapacity() - 1;
        o.println("Verbose:");
        o.printf("  log_offset:        %d%n", io.famfs.format.Superblock.LOG_OFFSET);
        o.printf("  log_len:           %d%n", r.logLen());
        o.println("  log_entry components:");
        o.printf("      sizeof(log header) %d%n", io.famfs.format.LogHeader.SIZE);
        o.printf("      sizeof(log_entry)  %d%n", io.famfs.format.LogEntry.SIZE);
        o.printf("          sizeof(mkdir)     %d%n", MKDIR_PAYLOAD);
        o.printf("          sizeof(file_meta) %d%n", FILE_META_PAYLOAD);
        o.printf("              sizeof(fmap)    %d%n", FMAP_SIZE);
        o.printf("                  sizeof(interleaved_ext[1]): %d%n", INTERLEAVED_EXT_SIZE);
        o.printf("                  sizeof(famfs_simple_ext[16]): %d%n", SIMPLE_EXT_SIZE);
        o.printf("  last_log_index:    %d%n", lastIndex);
        o.printf("  usable log size:   %d%n", io.famfs.format.LogHeader.SIZE + (long) io.famfs.format.LogEntry.SIZE * lastIndex);
        o.printf("  sizeof(struct famfs_log_file_meta): %d%n", FILE_META_PAYLOAD);
        o.println();
    }

    /** Sizes of upstream's log structures (docs FORMAT.md section 3.2). */
    static final int MKDIR_PAYLOAD = 92;
    static final int FILE_META_PAYLOAD = 520;
    static final int FMAP_SIZE = 416;
    static final int INTERLEAVED_EXT_SIZE = 400;
    static final int SIMPLE_EXT_SIZE = 24;
}
