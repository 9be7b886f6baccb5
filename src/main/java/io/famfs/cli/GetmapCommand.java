package io.famfs.cli;

import io.famfs.format.Extent;
import io.famfs.format.Fmap;
import io.famfs.namespace.Namespace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;


/**
 * {@code famfs getmap FILE}: print a file's map. Exit status as upstream: 0 for a mapped
 * famfs file; errno values for a missing file (2), a directory (21).
 */
@Command(name = "getmap", mixinStandardHelpOptions = true, description = "Print the extent map of a famfs file.")
class GetmapCommand extends Subcommand {
    @Mixin
    DeviceOption target;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing; the exit status tells")
    boolean quiet;

    @Option(names = "--json", description = "Print the map as JSON")
    boolean json;

    @Parameters(paramLabel = "FILE")
    String file;

    @Override
    public Integer call() {
        try (FsView view = FsView.open(target, false, java.util.List.of(file))) {
            Namespace.File f = view.file(file);
            if (quiet) {
                return 0;
            }
            if (json) {
                Json.print(out(), io.famfs.namespace.FileDescription.of(f));
                return 0;
            }
            out().printf("File:     %s%n", f.meta().path());
            out().printf("\tsize:    %d%n", f.size());
            out().printf("\tmode:    %s uid %d gid %d%n", Modes.octal(f.mode()), f.uid(), f.gid());
            switch (f.meta().fmap()) {
                case Fmap.Simple s -> {
                    out().printf("\textents: %d (simple)%n", s.extents().size());
                    for (Extent e : s.extents()) {
                        out().printf("\t\tdev %d offset 0x%x length 0x%x%n", e.devIndex(), e.offset(), e.length());
                    }
                }
                case Fmap.Interleaved il -> {
                    out().printf("\textents: 1 (interleaved: %d strips, chunk 0x%x)%n", il.nstrips(), il.chunkSize());
                    for (Extent e : il.strips()) {
                        out().printf("\t\tstrip dev %d offset 0x%x length 0x%x%n", e.devIndex(), e.offset(), e.length());
                    }
                }
            }
            return 0;
        }
    }
}
