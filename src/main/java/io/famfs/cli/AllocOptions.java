package io.famfs.cli;

import io.famfs.log.AllocConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Interleave flags of {@code creat} and {@code cp} ({@code -N -B -C}), and where no flag is
 * given, an {@code .alloc.cfg} file ({@code --alloc-cfg}; a mount's {@code .meta/.alloc.cfg}).
 */
class AllocOptions {
    @Option(names = {"-N", "--nstrips"}, paramLabel = "N", description = "Strips per interleaved file")
    Integer nstrips;

    @Option(names = {"-B", "--nbuckets"}, paramLabel = "N", description = "Buckets the device is divided into")
    Integer nbuckets;

    @Option(names = {"-C", "--chunksize"}, paramLabel = "SIZE", converter = Modes.Size.class,
            description = "Interleave chunk size (default 2m when interleaving)")
    Long chunk;

    @Option(names = "--alloc-cfg", paramLabel = "FILE", description = "Interleave settings file (.alloc.cfg YAML)")
    Path cfgFile;

    AllocConfig config() {
        AllocConfig flags = AllocConfig.fromFlags(nbuckets, nstrips, chunk);
        if (flags.interleaved() || cfgFile == null) {
            return flags;
        }
        return AllocConfig.fromFile(cfgFile);
    }
}
