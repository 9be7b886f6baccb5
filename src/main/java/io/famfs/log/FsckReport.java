package io.famfs.log;

import io.famfs.format.LogHeader;
import io.famfs.format.Superblock;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * What fsck finds on a file system: superblock facts, log use, allocation collisions
 * (cross-linked files), invalid entries, entries replay refuses, and capacity. Built by
 * {@link #scan}; printed as text or JSON by the CLI.
 */
public record FsckReport(
        String device, String deviceName, long deviceSize, UUID fsUuid, UUID devUuid, UUID systemUuid, Role role,
        long allocUnit, long omfMajor, long omfMinor, long logLen,
        String logProblem, long entriesUsed, long entryCapacity, long logBytesInUse,
        long collisions, long badEntries, List<String> problems, long files, long dirs,
        long bitmapCapacity, long sumFileSizes, long allocatedBytes, long freeSpace,
        double spaceAmplification, double percentUsed, List<Bucket> buckets) {

    /** Allocation within one of {@code -B n} equal buckets of the device. */
    public record Bucket(int index, long offset, long size, long allocatedBytes) {
    }

    /** Errors that make fsck fail: collisions, invalid or refused entries, a bad log header. */
    public long errorCount() {
        return collisions + problems.size() + (logProblem == null ? 0 : 1);
    }

    public static FsckReport scan(Famfs fs, UUID node, int nbuckets) {
        Superblock sb = fs.superblock();
        String logProblem = fs.logProblem();
        long used = 0;
        AllocationBitmap bitmap;
        List<String> problems = new ArrayList<>();
        if (logProblem == null) {
            used = fs.log().nextIndex();
            // one read of the log for both: the bitmap goes past invalid entries, replay stops
            bitmap = AllocationBitmap.empty(sb);
            ReplayReport replay = new Replayer(fs).replay(bitmap.consumer());
            problems.addAll(bitmap.problems());
            // entries intact on media but refused by replay (bad paths, orphans, bad maps)
            for (String r : replay.rejected()) {
                if (!problems.contains(r)) {
                    problems.add(r);
                }
            }
        } else {
            bitmap = AllocationBitmap.build(fs, 0); // no entry of a corrupt log can be trusted
        }
        long bitmapCapacity = bitmap.nbits() * bitmap.allocUnit();
        long allocated = bitmap.allocatedBytes();
        List<Bucket> buckets = new ArrayList<>();
        if (nbuckets > 0) {
            long bucketBits = bitmap.nbits() / nbuckets;
            for (int b = 0; b < nbuckets; b++) {
                long from = b * bucketBits;
                buckets.add(new Bucket(b, from * bitmap.allocUnit(), bucketBits * bitmap.allocUnit(),
                        bitmap.allocatedBits(from, from + bucketBits) * bitmap.allocUnit()));
            }
        }
        return new FsckReport(fs.device().path().toString(), sb.deviceName(), sb.deviceSize(), sb.fsUuid(),
                sb.devUuid(), sb.systemUuid(), fs.roleOf(node), sb.allocUnit(), sb.omfMajor(), sb.omfMinor(),
                sb.logLen(), logProblem, used, fs.entryCapacity(), LogHeader.bytesInUse(used),
                bitmap.collisions(), bitmap.badEntries(), List.copyOf(problems), bitmap.fileCount(), bitmap.dirCount(),
                bitmapCapacity, bitmap.sumFileSizes(), allocated, sb.deviceSize() - allocated,
                bitmap.sumFileSizes() == 0 ? 0 : (double) allocated / bitmap.sumFileSizes(),
                100.0 * allocated / sb.deviceSize(), buckets);
    }

}
