package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.fuse.MountTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code famfs mkmeta DEV}: upstream's v1 step that creates {@code .meta/.superblock} and
 * {@code .meta/.log} in a fresh kernel mount. Our mounts serve both from the start, so this
 * only checks that DEV (the device, or a path in its mount) is served by a famfs mount on
 * this host whose meta files are there. As upstream, the exit status is 1 only for a
 * missing operand or a path that does not exist; a device that no mount serves is
 * reported and exits 0 (upstream ignores mkmeta's own failure too).
 */
@Command(name = "mkmeta", mixinStandardHelpOptions = true,
        description = "Upstream compatibility: check that a mount of DEV exposes .meta/.superblock and .meta/.log.")
class MkmetaCommand extends Subcommand {
    @Option(names = {"-v", "--verbose"}, description = "Print the meta files found (repeatable)")
    boolean[] verbose = new boolean[0];

    @Parameters(paramLabel = "MEMDEVICE", arity = "0..1", description = "famfs device (or a path in its mount)")
    Path device;

    static final String[] META_FILES = {".meta/.superblock", ".meta/.log"};

    @Override
    public Integer call() {
        if (device == null) {
            throw new FamfsException("name the famfs device: famfs mkmeta MEMDEVICE");
        }
        if (!Files.exists(device)) {
            throw new FamfsException(device + ": no such device or path");
        }
        Optional<MountTable.Mount> mount = MountTable.containing(device);
        if (mount.isEmpty()) {
            mount = MountTable.famfsMounts().stream().filter(m -> MkfsCommand.sameFile(m.device(), device)).findFirst();
        }
        if (mount.isEmpty()) {
            err().println("famfs mkmeta: " + device + ": no famfs mount on this host serves it "
                    + "(famfs mount creates .meta; nothing to do)");
            return 0;
        }
        Path mp = mount.get().mountPoint();
        for (String meta : META_FILES) {
            Path f = mp.resolve(meta);
            if (!Files.isRegularFile(f)) {
                throw new FamfsException(f + ": missing from the mount of " + mount.get().device()
                        + " (unmount and mount again)");
            }
            if (verbose.length > 0) {
                try {
                    out().printf("  %s: %d bytes%n", f, Files.size(f));
                } catch (java.io.IOException e) {
                    throw new FamfsException(f + ": " + e.getMessage());
                }
            }
        }
        out().printf("famfs mkmeta: meta files of %s present at %s/.meta%n", mount.get().device(), mp);
        return 0;
    }
}
