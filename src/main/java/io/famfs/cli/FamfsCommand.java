package io.famfs.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The top-level {@code famfs} command; upstream's command names and flags. */
@Command(name = "famfs", mixinStandardHelpOptions = true, versionProvider = Version.class,
        modelTransformer = UpstreamHelp.class,
        description = "Fabric-attached memory file system: share files in one memory device between hosts.",
        subcommands = {
                MkfsCommand.class,
                FsckCommand.class,
                LogplayCommand.class,
                MkdirCommand.class,
                CreatCommand.class,
                CpCommand.class,
                VerifyCommand.class,
                GetmapCommand.class,
                CloneCommand.class,
                ChkreadCommand.class,
                FlushCommand.class,
                BenchCommand.class,
                MountCommand.class,
                UmountCommand.class,
                CheckCommand.class,
                MkmetaCommand.class,
        })
public class FamfsCommand {
    /** Upstream's {@code famfs --dryrun COMMAND}: accepted, no effect (as upstream). */
    @Option(names = "--dryrun", hidden = true, description = "Accepted for compatibility; no effect")
    boolean dryRun;
}
