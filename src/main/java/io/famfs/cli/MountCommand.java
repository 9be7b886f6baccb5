package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.fuse.CacheMode;
import io.famfs.fuse.FuseServer;
import io.famfs.fuse.MountOptions;
import io.famfs.fuse.MountTable;
import io.famfs.log.NodeIdentity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code famfs mount DEVICE MOUNTPOINT}: validates the device, replays its log and serves
 * it through FUSE, following the log. As upstream, the command returns once the mount is
 * up and a background server keeps it (its log: {@code --log-file}); {@code --foreground}
 * serves from this process until unmounted or sent SIGTERM.
 */
@Command(name = "mount", mixinStandardHelpOptions = true,
        description = "Mount a famfs device through FUSE; the mount follows the log by itself.")
class MountCommand extends Subcommand {
    @Option(names = {"-t", "--timeout"}, paramLabel = "SECONDS", description = "Kernel metadata cache timeout (default 1)")
    double timeout = 1.0;

    @Option(names = {"-d", "--debug"}, description = "libfuse debug output (implies --foreground)")
    boolean debug;

    @Option(names = {"-v", "--verbose"}, description = "Say what the mount does (repeatable)")
    boolean[] verbose = new boolean[0];

    @Option(names = {"-f", "--fuse"}, description = "Accepted for compatibility: famfs-java always mounts through FUSE")
    boolean fuse;

    @Option(names = {"-F", "--nofuse"}, description = "Upstream's v1 kernel-module mount: not supported (an error)")
    boolean noFuse;

    @Option(names = {"-r", "--read"}, description = "Accepted for compatibility (upstream: logplay reads the log with read())")
    boolean readLog;

    @Option(names = {"-m", "--mmap"}, description = "Accepted for compatibility (upstream's default: logplay maps the log)")
    boolean mmapLog;

    @Option(names = {"-u", "--nouseraccess"}, description = "Only the mounting user may use the mount (no allow_other)")
    boolean noUserAccess;

    @Option(names = {"-p", "--nodefaultperm"}, description = "Do not let the kernel enforce modes (no default_permissions)")
    boolean noDefaultPerm;

    @Option(names = {"-w", "--writable"}, description = "On a client, keep files' logged write permission")
    boolean clientWritable;

    @Option(names = "--cache", paramLabel = "auto|keep|direct",
            description = "Page cache: auto (dropped at open, default), keep (kept: fastest warm reads), direct (none)")
    CacheMode cache = CacheMode.AUTO;

    @Option(names = "--poll-ms", paramLabel = "MS", description = "How often the log is checked for new entries (default 20)")
    long pollMillis = 20;

    @Option(names = {"-s", "--single-thread"}, description = "Serve FUSE requests on one thread")
    boolean singleThreaded;

    @Option(names = "--ras-inject", description = "Enable the memory-error injection point (tests; also FAMFS_RAS_INJECT=1)")
    boolean rasInject = "1".equals(System.getenv("FAMFS_RAS_INJECT"));

    @Option(names = {"-o", "--options"}, paramLabel = "OPT[,OPT...]", description = "Extra libfuse mount options")
    String extra = "";

    @Option(names = io.famfs.api.ApiListener.OPTION, paramLabel = "PORT",
            description = "Fleet API port (default 7373, or a free port when 7373 is taken; 0: any free port)")
    Integer apiPort;

    @Option(names = "--foreground", description = "Serve from this process until unmounted")
    boolean foreground;

    @Option(names = "--log-file", paramLabel = "FILE", description = "Log of the background server (default /tmp/famfs-mount-<name>.log)")
    Path logFile;

    @Option(names = "--start-timeout", paramLabel = "SECONDS",
            description = "How long to wait for the background server to be up (default 60)")
    long startTimeout = 60;

    @Parameters(index = "0", paramLabel = "MEMDEVICE")
    Path device;

    @Parameters(index = "1", paramLabel = "MOUNTPOINT")
    Path mountPoint;

    @Override
    public Integer call() throws Exception {
        Compat.refuseNoFuse(noFuse, 1);
        Compat.readOrMmap(readLog, mmapLog);
        if (pollMillis < 1 || pollMillis > 60_000) {
            throw new FamfsException("--poll-ms must be between 1 and 60000");
        }
        if (timeout < 0) {
            throw new FamfsException("--timeout must not be negative");
        }
        if (extra.contains("fsname") || extra.contains("subtype")) {
            throw new FamfsException("-o may not set fsname or subtype: the CLI finds mounts by them");
        }
        if (foreground || debug) {
            return serve();
        }
        return daemonize();
    }

    static final String READY = "mounted and serving at";

    /** Set when this process was started as famfs_fused: the famfs mount arguments it means. */
    static volatile List<String> relaunchArgs;

    private MountOptions options() {
        return new MountOptions(timeout, pollMillis, !noUserAccess, !noDefaultPerm, clientWritable, cache,
                singleThreaded, debug, extra, rasInject);
    }

    private int serve() throws InterruptedException {
        FuseServer server = FuseServer.start(device, mountPoint, options(), NodeIdentity.systemUuid());
        Thread hook = new Thread(server::close, "famfs-unmount");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            io.famfs.api.ApiToken.ensure(); // created on first start, before any request
        } catch (FamfsException e) {
            server.close();
            throw e;
        }
        try {
            server.publishHome(io.famfs.api.ApiListener.address());
        } catch (FamfsException e) {
            server.close();
            throw e;
        }
        // commands on this mount's files, handed over by bin/famfs (no JVM start for them)
        CommandServer commands;
        try {
            commands = CommandServer.start(server.home().cliSocket());
        } catch (FamfsException e) {
            server.close();
            throw e;
        }
        io.famfs.api.ServedMount.set(server);
        // the line the background launcher waits for: everything is up once it is printed
        out().printf("famfs: %s " + READY + " %s as %s (log index %d)%n", device, server.mountPoint(),
                server.mounted().role().name().toLowerCase(), server.mounted().appliedIndex());
        out().flush();
        server.awaitUnmount();
        commands.close();
        server.close();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // already exiting
        }
        return 0;
    }

    /** Starts this same program with --foreground in a new session and waits for the mount. */
    private int daemonize() throws IOException, InterruptedException {
        Path mp = MountTable.canonical(mountPoint);
        if (!Files.isDirectory(mp)) {
            throw new FamfsException(mountPoint + ": mount point is not a directory");
        }
        if (MountTable.isMounted(mp)) {
            throw new FamfsException(mountPoint + ": a famfs is already mounted there");
        }
        return launch(serverCommand(), mp);
    }

    private int launch(List<String> cmd, Path mp) throws IOException, InterruptedException {
        Path log = logFile != null ? logFile
                : Path.of("/tmp", "famfs-mount-" + mp.toString().replace('/', '_') + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process server = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(startTimeout);
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new FamfsException(lastLine(log, "the mount server exited with status " + server.exitValue()));
            }
            if (MountTable.isMounted(mp) && ready(log)) {
                if (verbose.length > 0) {
                    out().printf("famfs: mounted %s at %s (server pid %d, log %s)%n", device, mp, server.pid(), log);
                }
                return 0;
            }
            Thread.sleep(20);
        }
        server.destroy();
        throw new FamfsException("timed out waiting for the mount; see " + log);
    }

    /**
     * How to start this mount's server: through the launcher when it said where it is
     * ({@code -Dfamfs.launcher}, bin/famfs), which starts it from Quarkus's runner jar;
     * else this JVM's own command line (started with {@code -jar quarkus-run.jar}, as the
     * appliance does) with {@code --foreground} after {@code mount}.
     */
    private List<String> serverCommand() {
        // the server's famfs arguments: this mount (or famfs_fused's translation of it), with
        // --foreground after "mount"
        List<String> given = spec.commandLine().getParent().getParseResult().originalArgs();
        List<String> mount = relaunchArgs != null ? relaunchArgs : given;
        int mountAt = mount.indexOf(Cli.commandName(mount.toArray(String[]::new)));
        List<String> args = new ArrayList<>(mount.subList(0, mountAt + 1));
        args.add("--foreground");
        args.addAll(mount.subList(mountAt + 1, mount.size()));
        List<String> cmd = new ArrayList<>(List.of("setsid"));
        String launcher = System.getProperty("famfs.launcher");
        if (launcher != null) {
            cmd.add(launcher);
        } else {
            // this JVM's command line up to its own arguments (after "-jar X" or the main class)
            ProcessHandle.Info self = ProcessHandle.current().info();
            Optional<String> java = self.command();
            Optional<String[]> jvmArgs = self.arguments();
            if (java.isEmpty() || jvmArgs.isEmpty()) {
                throw new FamfsException("cannot find how this program was started; use --foreground");
            }
            List<String> all = List.of(jvmArgs.get());
            int own = relaunchArgs != null ? all.indexOf("fused") : all.size() - given.size();
            if (own < 0) {
                throw new FamfsException("cannot re-launch the mount server; use --foreground");
            }
            cmd.add(java.get());
            cmd.addAll(all.subList(0, own));
        }
        cmd.addAll(args);
        return cmd;
    }

    private static boolean ready(Path log) {
        try {
            return Files.readString(log).contains(READY);
        } catch (IOException e) {
            return false;
        }
    }

    private static String lastLine(Path log, String fallback) {
        try {
            List<String> lines = Files.readAllLines(log).stream().filter(l -> !l.isBlank()).toList();
            if (lines.isEmpty()) {
                return fallback;
            }
            String last = lines.getLast();
            return last.startsWith("famfs mount: ") ? last.substring("famfs mount: ".length()) : last;
        } catch (IOException e) {
            return fallback;
        }
    }
}
