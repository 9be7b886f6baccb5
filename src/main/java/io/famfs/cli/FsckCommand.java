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

    @Option(names = {"-h", "--human"}, description = "Print sizes in human units")
    boolean human;

    @Option(names = {"-f", "--force"}, description = "Accepted for compatibility")
    boolean force;

    @Option(names = {"-B", "--nbuckets"}, paramLabel = "N", description = "Print allocation per bucket")
    int nbuckets;

    @Option(names = "--json", description = "Print the report as JSON")
    boolean json;

    @Option(names = "--help", usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Parameters(paramLabel = "MEMDEVICE", description = "famfs device or image")
    Path device;

    @Override
    public Integer call() {
        if (nbuckets < 0 || nbuckets > 1024) {
            throw new FamfsException("--nbuckets must be between 0 and 1024");
        }
        java.nio.file.Path dev = device;
        if (java.nio.file.Files.isDirectory(device)) {
            dev = io.famfs.fuse.MountTable.containing(device)
                    .orElseThrow(() -> new FamfsException(device + ": a directory that is not a famfs mount")).device();
        }
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

    private String size(long bytes) {
        if (!human) {
            return Long.toString(bytes);
        }
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + "B" : String.format("%.2f%s", v, units[u]);
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
        o.printf("  Allocated bytes:        %s%n", size(r.allocatedBytes()));
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
            for (String p : r.problems()) {
                o.println("  problem: " + p);
            }
        }
        o.flush();
    }
}
