package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.device.DeviceKind;
import io.famfs.format.Superblock;
import io.famfs.namespace.FileMapper;
import io.famfs.namespace.Namespace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

/**
 * {@code famfs chkread [-s] [-l] FILE}: as upstream, {@code -s} and {@code -l} also print
 * the superblock and the log header; without FILE, {@code -s}/{@code -l} check the
 * superblock or log region themselves (our extension). The bytes read
 * through {@code read()} must equal the bytes seen through the mapping. On a device this
 * compares positional reads of the device file with the mmap'd memory, piece by piece
 * of the file's map.
 */
@Command(name = "chkread", mixinStandardHelpOptions = true,
        description = "Check that read() and mmap of a file (or the superblock/log) agree.")
class ChkreadCommand extends Subcommand {
    @Mixin
    DeviceOption target;

    @Option(names = "-s", description = "Print the superblock (without FILE: check the superblock region)")
    boolean superblock;

    @Option(names = "-l", description = "Print the log header (without FILE: check the log region)")
    boolean log;

    @Parameters(paramLabel = "FILE", arity = "0..1")
    String file;

    @Override
    public Integer call() throws IOException {
        try (FsView view = FsView.open(target, false, file == null ? java.util.List.of() : java.util.List.of(file))) {
            if (view.famfs().device().kind() == DeviceKind.DEVDAX) {
                throw new FamfsException("chkread on a devdax device needs a mount (devdax has no read())");
            }
            String what;
            FileMapper mapper;
            if (superblock) {
                dumpSuperblock(view.famfs().superblock());
            }
            if (log) {
                dumpLog(view.famfs().log());
            }
            if (file != null) {
                what = file;
                Namespace.File f;
                try {
                    f = view.file(file);
                } catch (FamfsException e) {
                    throw new FamfsException(e.getMessage(), 1); // upstream: 1 for a stat failure
                }
                mapper = new FileMapper(f.meta().fmap(), f.size());
            } else if (superblock) {
                what = ".meta/.superblock";
                mapper = region(0, Superblock.REGION_SIZE);
            } else if (log) {
                what = ".meta/.log";
                mapper = region(Superblock.LOG_OFFSET, view.famfs().superblock().logLen());
            } else {
                throw new FamfsException("name a FILE, or -s or -l");
            }
            MemorySegment memory = view.famfs().device().memory();
            long[] bad = {-1};
            try (FileChannel ch = FileChannel.open(view.famfs().device().path(), StandardOpenOption.READ)) {
                ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
                mapper.map(0, mapper.fileSize(), (devOff, len, delta) -> {
                    for (long done = 0; done < len && bad[0] < 0; ) {
                        int n = (int) Math.min(buf.capacity(), len - done);
                        buf.clear().limit(n);
                        try {
                            while (buf.hasRemaining()) {
                                if (ch.read(buf, devOff + done + buf.position()) < 0) {
                                    throw new IOException("short read");
                                }
                            }
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                        long m = MemorySegment.mismatch(MemorySegment.ofBuffer(buf.flip()), 0, n, memory,
                                devOff + done, devOff + done + n);
                        if (m >= 0) {
                            bad[0] = delta + done + m;
                        }
                        done += n;
                    }
                });
            }
            if (bad[0] >= 0) {
                err().printf("famfs chkread: %s: read() and mmap differ at offset %d%n", what, bad[0]);
                return 1;
            }
            out().printf("chkread: %s: %d bytes match through read() and mmap%n", what, mapper.fileSize());
            out().println("Read and mmap match"); // upstream's line
            return 0;
        }
    }

    private static FileMapper region(long offset, long length) {
        return new FileMapper(new io.famfs.format.Fmap.Simple(
                java.util.List.of(new io.famfs.format.Extent(0, offset, length))), length);
    }

    /** Upstream's superblock dump ({@code -s}). */
    private void dumpSuperblock(Superblock sb) {
        out().println("famfs superblock:");
        out().printf("\tmagic:       %x%n", sb.magic());
        out().printf("\tversion:     %d%n", sb.version());
        out().printf("\tlog offset:  %d%n", sb.logOffset());
        out().printf("\tlog len:     %d%n", sb.logLen());
    }

    /** Upstream's log header dump ({@code -l}). */
    private void dumpLog(io.famfs.format.LogHeader log) {
        out().println("famfs log:");
        out().printf("\tmagic:      %x%n", log.magic());
        out().printf("\tlen:        %d%n", log.length());
        out().printf("\tlast index: %d%n", log.lastIndex());
        out().printf("\tnext index: %d%n", log.nextIndex());
    }
}
