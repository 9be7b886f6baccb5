package io.famfs.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.SequencedMap;

/**
 * The top-level {@code famfs} command; upstream's command names and flags.
 *
 * <p>The subcommands are listed here, not in the annotation: {@link Cli#commandLine} builds
 * only the one a command line names (picocli builds a command's model by reflection, and
 * building all of them was most of a one-shot command's start-up).
 */
@Command(name = "famfs", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Fabric-attached memory file system: share files in one memory device between hosts.")
public class FamfsCommand {
    /** Upstream's {@code famfs --dryrun COMMAND}: accepted, no effect (as upstream). */
    @Option(names = "--dryrun", hidden = true, description = "Accepted for compatibility; no effect")
    boolean dryRun;

    /**
     * Every subcommand by its name (the same as its {@code @Command} name; a test checks),
     * in the order {@code famfs --help} lists them.
     */
    static final SequencedMap<String, Class<?>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("mkfs", MkfsCommand.class);
        COMMANDS.put("fsck", FsckCommand.class);
        COMMANDS.put("logplay", LogplayCommand.class);
        COMMANDS.put("mkdir", MkdirCommand.class);
        COMMANDS.put("creat", CreatCommand.class);
        COMMANDS.put("cp", CpCommand.class);
        COMMANDS.put("verify", VerifyCommand.class);
        COMMANDS.put("getmap", GetmapCommand.class);
        COMMANDS.put("clone", CloneCommand.class);
        COMMANDS.put("chkread", ChkreadCommand.class);
        COMMANDS.put("flush", FlushCommand.class);
        COMMANDS.put("bench", BenchCommand.class);
        COMMANDS.put("mount", MountCommand.class);
        COMMANDS.put("umount", UmountCommand.class);
        COMMANDS.put("check", CheckCommand.class);
        COMMANDS.put("mkmeta", MkmetaCommand.class);
        COMMANDS.put("fused", FusedCommand.class);
    }
}
