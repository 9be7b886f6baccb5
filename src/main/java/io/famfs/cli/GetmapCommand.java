package io.famfs.cli;

import io.famfs.format.Extent;
import io.famfs.format.Fmap;
import io.famfs.namespace.Namespace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
                Json.print(out(), describe(f));
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

    /** The map as data: for --json here and for the REST API later. */
    static Map<String, Object> describe(Namespace.File f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", f.meta().path());
        m.put("size", f.size());
        m.put("mode", Modes.octal(f.mode()));
        m.put("uid", f.uid());
        m.put("gid", f.gid());
        m.put("flags", f.meta().flags());
        m.put("logIndex", f.logIndex());
        List<Map<String, Object>> extents = new ArrayList<>();
        for (Extent e : f.meta().fmap().deviceExtents()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("devIndex", e.devIndex());
            x.put("offset", e.offset());
            x.put("length", e.length());
            extents.add(x);
        }
        switch (f.meta().fmap()) {
            case Fmap.Simple s -> {
                m.put("type", "simple");
                m.put("extents", extents);
            }
            case Fmap.Interleaved il -> {
                m.put("type", "interleaved");
                m.put("nstrips", il.nstrips());
                m.put("chunkSize", il.chunkSize());
                m.put("strips", extents);
            }
        }
        return m;
    }
}
