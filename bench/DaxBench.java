import io.famfs.dax.DaxFile;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

/**
 * mmap read figures for one file: {@code java -cp APP_JAR bench/DaxBench.java dax|map FILE}.
 * dax maps it through io.famfs.dax.DaxFile (straight onto the device); map maps the file
 * itself (FileChannel.map: through FUSE for a famfs mount, the page cache for tmpfs).
 * Prints the first (cold) and second (warm) sequential pass in GB/s and random 4 KiB
 * loads per second, on one thread.
 */
public class DaxBench {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[1]);
        try (Arena arena = Arena.ofConfined()) {
            DaxFile dax = null;
            MemorySegment seg;
            if (args[0].equals("dax")) {
                dax = DaxFile.map(file, false);
                seg = dax.segment();
            } else {
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
                seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            }
            double cold = pass(seg);
            double warm = pass(seg);
            SplittableRandom rnd = new SplittableRandom(1);
            long pages = seg.byteSize() / 4096;
            int n = 2_000_000;
            long sum = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sum += seg.get(ValueLayout.JAVA_LONG, rnd.nextLong(pages) * 4096);
            }
            double loads = n / ((System.nanoTime() - t0) / 1e9);
            System.out.printf("%s %s: cold %.2f GB/s, warm %.2f GB/s, random 4 KiB loads %.1f M/s (%d)%n", args[0], file,
                    cold, warm, loads / 1e6, sum & 1);
            if (dax != null) {
                dax.close();
            }
        }
    }

    static double pass(MemorySegment seg) {
        long t0 = System.nanoTime();
        long sum = 0;
        for (long off = 0; off < seg.byteSize(); off += 64) {
            sum += seg.get(ValueLayout.JAVA_LONG, off);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        if (sum == 42) {
            System.out.print("");
        }
        return seg.byteSize() / s / 1e9;
    }
}
