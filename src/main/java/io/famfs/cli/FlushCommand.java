package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.format.Superblock;
import io.famfs.namespace.FileData;
import io.famfs.namespace.Namespace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;

/**
 * {@code famfs flush FILE...}: write a file's memory back (msync for file- and block-backed
 * devices) after a full fence, so other hosts and the medium see what this host stored.
 * As upstream, the meta files ({@code .meta/.superblock}, {@code .meta/.log}) can be
 * flushed too, each file that fails is reported and the others are still flushed, and the
 * exit status is the number of files that failed.
 */
@Command(name = "flush", mixinStandardHelpOptions = true, description = "Flush files' memory to the device.")
class FlushCommand extends Subcommand {
    @Mixin
    DeviceOption target;

    @Option(names = {"-v", "--verbose"}, description = "Print each file flushed (repeatable)")
    boolean[] verbose = new boolean[0];

    @Parameters(paramLabel = "FILE", arity = "1..*")
    List<String> files;

    @Override
    public Integer call() {
        int errors = 0;
        try (FsView view = FsView.open(target, true, files)) {
            for (String name : files) {
                try {
                    long bytes = flush(view, name);
                    if (verbose.length > 0) {
                        out().println("flushed " + name + " (" + bytes + " bytes)");
                    }
                } catch (FamfsException e) {
                    errors++;
                    err().println("famfs flush: " + e.getMessage());
                }
            }
        }
        if (errors > 0 && files.size() > 1) {
            err().printf("do_famfs_cli_flush: %d errors were detected%n", errors);
        }
        return Math.min(errors, 127);
    }

    /** Flushes one file (or meta file); returns its size. */
    private long flush(FsView view, String name) {
        var device = view.famfs().device();
        switch (target.relative(name)) {
            case ".meta/.superblock" -> {
                device.flush(0, Superblock.REGION_SIZE);
                return Superblock.REGION_SIZE;
            }
            case ".meta/.log" -> {
                long len = view.famfs().superblock().logLen();
                device.flush(Superblock.LOG_OFFSET, len);
                return len;
            }
            default -> {
                Namespace.File f = view.file(name);
                FileData data = view.data(f);
                data.mapper().map(0, data.size(), (off, len, d) -> device.flush(off, len));
                return f.size();
            }
        }
    }
}
