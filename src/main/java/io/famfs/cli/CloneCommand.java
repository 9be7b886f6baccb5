package io.famfs.cli;

import io.famfs.log.Famfs;
import io.famfs.log.MasterSession;
import io.famfs.log.NodeIdentity;
import io.famfs.namespace.Namespace;
import io.famfs.FamfsException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code famfs clone SRC DEST}: for testing only. Logs DEST over SRC's extents, a
 * deliberate cross-link that fsck must then report.
 */
@Command(name = "clone", mixinStandardHelpOptions = true,
        description = "Testing only: make DEST share SRC's memory (fsck then reports the cross-link).")
class CloneCommand extends Subcommand {
    @Mixin
    DeviceOption target;

    @Option(names = {"-v", "--verbose"}, description = "Say what was logged (repeatable)")
    boolean[] verbose = new boolean[0];

    @Parameters(index = "0", paramLabel = "SRC")
    String source;

    @Parameters(index = "1", paramLabel = "DEST")
    String dest;

    @Override
    public Integer call() {
        String src0 = target.relative(source);
        String dst0 = target.relative(dest);
        try (Famfs fs = target.open(true); MasterSession session = MasterSession.begin(fs, NodeIdentity.systemUuid())) {
            Namespace.Node src = session.namespace().lookup(src0);
            if (!(src instanceof Namespace.File f)) {
                throw new FamfsException(source + ": no such famfs file", FsView.ENOENT);
            }
            session.cloneFile(dst0, f.meta());
            if (verbose.length > 0) {
                out().printf("clone: %s -> %s (%d bytes)%n", source, dest, f.size());
            }
            err().println("famfs clone: " + dest + " now shares the memory of " + source
                    + " (a cross-link: fsck will report it)");
        }
        target.refreshMount();
        return 0;
    }
}
