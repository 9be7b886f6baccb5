package io.famfs.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code famfs_fused} (bin/famfs_fused runs {@code famfs fused ARGS}): upstream's FUSE
 * daemon's command line, mapped onto {@code famfs mount}:
 * <pre>
 *   famfs_fused [-h|--help] [-V|--version] [-d] [-f] [-s] -o OPT[,OPT...] MOUNTPOINT
 *     -o daxdev=DEV                 the device to serve (required here: this server reads it)
 *     -o source=PATH | shadow=PATH  upstream's shadow dir; required; PATH/root must exist (or PATH ends in /root)
 *     -o timeout=SEC | cache=never|auto|always   attribute/entry timeout (never 0, auto 1.0, always 86400)
 *     -o allow_other, default_permissions        as libfuse (absent: not set)
 *     -o flock, no_flock, readdirplus, no_readdirplus, debug=N, pass_yaml, clone_fd,
 *        max_idle_threads=N, max_threads=N, fsname=, subtype=   accepted, no effect
 *     -f foreground, -d debug (foreground), -s single-threaded; else the server runs in the background
 * </pre>
 * Exits as upstream: help and version 0; no mount point, no source, a missing shadow root,
 * a bad mount point 1; an unknown {@code -o} option prints why and exits 0 with nothing
 * mounted. The server publishes its own shadow tree in its home (user.famfs.shadow).
 */
@Command(name = "fused", hidden = true, versionProvider = Version.class,
        description = "Upstream famfs_fused's command line: serve a famfs device through FUSE (as famfs mount).")
class FusedCommand extends Subcommand {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Print this help and exit")
    boolean help;

    @Option(names = {"-V", "--version"}, versionHelp = true, description = "Print the version and exit")
    boolean version;

    @Option(names = "-d", description = "Debug output (implies -f)")
    boolean debug;

    @Option(names = "-f", description = "Stay in the foreground")
    boolean foreground;

    @Option(names = "-s", description = "Serve requests on one thread")
    boolean single;

    @Option(names = "-o", paramLabel = "OPT[,OPT...]", description = "Mount options (see above)")
    List<String> options = new ArrayList<>();

    @Parameters(arity = "0..1", paramLabel = "MOUNTPOINT")
    Path mountPoint;

    /** What a famfs_fused command line asks for: an exit now, or the famfs mount arguments. */
    record Translation(Integer exit, List<String> mountArgs) {
    }

    @Override
    public Integer call() {
        Translation t = translate(out(), err());
        if (t.exit() != null) {
            return t.exit();
        }
        CommandLine mount = Cli.commandLine();
        mount.setOut(out());
        mount.setErr(err());
        return mount.execute(t.mountArgs().toArray(String[]::new));
    }

    /**
     * Parses {@code args} (without the leading "fused") as famfs_fused would; help and
     * version are printed to {@code out}, problems to {@code err}.
     */
    static Translation translate(String[] args, PrintWriter out, PrintWriter err) {
        FusedCommand c = new FusedCommand();
        CommandLine cl = new CommandLine(c);
        cl.getCommandSpec().name("famfs_fused");
        cl.setOut(out);
        cl.setErr(err);
        try {
            cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            err.println("famfs_fused: " + e.getMessage());
            err.flush();
            return new Translation(1, null);
        }
        if (cl.isUsageHelpRequested()) {
            cl.usage(out);
            out.flush();
            return new Translation(0, null);
        }
        if (cl.isVersionHelpRequested()) {
            cl.printVersionHelp(out);
            out.flush();
            return new Translation(0, null);
        }
        return c.translate(out, err);
    }

    private Translation translate(PrintWriter out, PrintWriter err) {
        String daxdev = null;
        String source = null;
        String timeout = null;
        String cache = null;
        boolean allowOther = false;
        boolean defaultPermissions = false;
        for (String group : options) {
            for (String o : group.split(",")) {
                if (o.isEmpty()) {
                    continue;
                }
                int eq = o.indexOf('=');
                String key = eq < 0 ? o : o.substring(0, eq);
                String value = eq < 0 ? null : o.substring(eq + 1);
                switch (key) {
                    case "daxdev" -> daxdev = value;
                    case "source", "shadow" -> source = value;
                    case "timeout" -> timeout = value;
                    case "cache" -> cache = value;
                    case "allow_other" -> allowOther = true;
                    case "default_permissions" -> defaultPermissions = true;
                    case "flock", "no_flock", "readdirplus", "no_readdirplus", "pass_yaml", "clone_fd", "debug",
                         "max_idle_threads", "max_threads", "fsname", "subtype" -> {
                        // accepted; no effect on this server
                    }
                    default -> {
                        // as upstream: an unknown option is reported and nothing is mounted, exit 0
                        err.println("famfs_fused: unknown option '" + o + "'; nothing mounted");
                        err.flush();
                        return new Translation(0, null);
                    }
                }
            }
        }
        if (mountPoint == null) {
            return fail(err, "no mount point given (famfs_fused -o source=PATH,daxdev=DEV MOUNTPOINT)");
        }
        if (source == null || source.isEmpty()) {
            return fail(err, "no source given (-o source=PATH or -o shadow=PATH)");
        }
        Path src = Path.of(source).toAbsolutePath().normalize();
        Path root = src.getFileName() != null && src.getFileName().toString().equals("root") ? src : src.resolve("root");
        if (!Files.isDirectory(root)) {
            return fail(err, "shadow root " + root + " does not exist (famfs logplay --shadow " + source
                    + " --daxdev DEV makes it)");
        }
        if (!Files.isDirectory(mountPoint)) {
            return fail(err, mountPoint + ": mount point is not a directory");
        }
        if (daxdev == null || daxdev.isEmpty()) {
            return fail(err, "no daxdev given (-o daxdev=DEV): this server serves files from the device");
        }
        List<String> m = new ArrayList<>(List.of("mount"));
        if (foreground || debug) {
            m.add("--foreground");
        }
        if (debug) {
            m.add("-d");
        }
        if (single) {
            m.add("-s");
        }
        double t = 1.0;
        if (cache != null) {
            switch (cache) {
                case "never" -> t = 0;
                case "auto" -> t = 1.0;
                case "always" -> {
                    t = 86400;
                    m.addAll(List.of("--cache", "keep"));
                }
                default -> {
                    err.println("famfs_fused: invalid cache mode '" + cache + "'; nothing mounted");
                    err.flush();
                    return new Translation(0, null);
                }
            }
        }
        if (timeout != null) {
            try {
                t = Double.parseDouble(timeout);
            } catch (NumberFormatException e) {
                return fail(err, "timeout=" + timeout + " is not a number");
            }
            if (t < 0) {
                return fail(err, "timeout=" + timeout + " is negative");
            }
        }
        m.addAll(List.of("-t", Double.toString(t)));
        if (!allowOther) {
            m.add("-u");
        }
        if (!defaultPermissions) {
            m.add("-p");
        }
        m.add(daxdev);
        m.add(mountPoint.toString());
        return new Translation(null, m);
    }

    private static Translation fail(PrintWriter err, String why) {
        err.println("famfs_fused: " + why);
        err.flush();
        return new Translation(1, null);
    }
}
