package io.famfs.cli;

import io.famfs.device.FdOutputStream;
import io.famfs.device.UnixSocket;
import picocli.CommandLine;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs forwarded commands in the warm mount server: {@code bin/famfs} (through its small
 * client, native/famfs_fwd.c) hands a command line on a path inside this mount to the
 * mount's {@code cli.sock} instead of starting a JVM. Protocol {@code CLI1}, in
 * docs/mount.md, "Forwarded commands":
 * <pre>
 *   request (one SOCK_SEQPACKET message): "CLI1\0" ARG "\0" ARG "\0" ...
 *            with SCM_RIGHTS: the caller's stdout and stderr
 *   reply:   "EXIT n"           the command ran here; n is its exit status
 *            "LOCAL reason"     not run: the caller runs it itself, in its own JVM
 * </pre>
 * The command runs through {@link Cli} exactly as in its own process (same parsing, error
 * handling and output), writing straight to the caller's descriptors.
 *
 * <p>What the server does not take from the caller's word: who it is (SO_PEERCRED), and
 * its working directory, umask and {@code FAMFS_*} environment (read from
 * {@code /proc/PID}). It runs a command only for root or its own user, and only when
 * running it here cannot differ from running it there: the same settings a command reads
 * ({@link #COMMAND_SETTINGS}), no JVM options of its own, and no relative path unless both
 * work in the same directory. Anything else is
 * answered {@code LOCAL}, so the caller gets exactly what the command itself gives.
 */
public final class CommandServer implements AutoCloseable {
    static final String VERSION = "CLI1";
    /** Commands that may run here: those on files of a mount, never mount, umount or mkfs. */
    static final Set<String> FORWARDABLE = Set.of("creat", "mkdir", "cp", "verify", "logplay", "check",
            "getmap", "clone", "chkread", "flush", "fsck", "mkmeta");
    /**
     * The environment settings a command reads (node identity, homes, debug output): a
     * caller whose settings differ from the server's runs its command itself.
     */
    static final Set<String> COMMAND_SETTINGS = Set.of(io.famfs.log.NodeIdentity.UUID_VARIABLE,
            io.famfs.log.NodeIdentity.FILE_VARIABLE, "FAMFS_RUN_DIR", "FAMFS_DEBUG");
    static final int MAX_REQUEST = 256 * 1024;

    private final int serverUid;
    private final Path serverCwd;
    private final Map<String, String> serverEnv;
    /** FAMFS_JAVA_OPTS the server was started with (a caller with other JVM options runs its own). */
    private final String serverJavaOpts;
    private UnixSocket.Server server;

    private CommandServer() {
        this.serverUid = ProcessIdentity.current().uid();
        this.serverCwd = Path.of("").toAbsolutePath();
        this.serverEnv = famfsSettings(System.getenv());
        this.serverJavaOpts = javaOpts(System.getenv());
    }

    /** FAMFS_JAVA_OPTS, blanks collapsed ("" when unset). */
    static String javaOpts(Map<String, String> env) {
        String o = env.get("FAMFS_JAVA_OPTS");
        return o == null ? "" : o.strip().replaceAll("\\s+", " ");
    }

    /** Listens at {@code socketPath} (a stale socket there is replaced). */
    public static CommandServer start(Path socketPath) {
        CommandServer s = new CommandServer();
        try {
            // anyone may connect; who may have a command run here is decided per request
            s.server = UnixSocket.Server.start(socketPath, "cli", s::serve);
            return s;
        } catch (IOException | RuntimeException e) {
            throw new io.famfs.FamfsException("cannot listen for commands at " + socketPath + ": " + e.getMessage());
        }
    }

    public Path socketPath() {
        return server.path();
    }

    private void serve(UnixSocket conn) {
        UnixSocket.Peer peer = conn.peer();
        conn.receiveTimeout(10_000);
        UnixSocket.Message m = conn.receive(MAX_REQUEST);
        String reply;
        try {
            reply = handle(peer, m);
        } finally {
            m.closeFds();
        }
        conn.send(reply.getBytes(StandardCharsets.UTF_8), -1);
    }

    private String handle(UnixSocket.Peer peer, UnixSocket.Message m) {
        List<String> fields = split(m.data());
        if (m.data().length >= MAX_REQUEST || fields.isEmpty() || !fields.getFirst().equals(VERSION)) {
            return "LOCAL unknown request";
        }
        if (m.fds().length != 2) {
            return "LOCAL expected the caller's stdout and stderr";
        }
        String[] args = Cli.upstreamForm(fields.subList(1, fields.size()).toArray(String[]::new));
        Caller caller;
        try {
            caller = Caller.of(peer);
        } catch (IOException | RuntimeException e) {
            return "LOCAL cannot read the caller's process: " + e.getMessage();
        }
        String why = refusal(peer, caller, args);
        if (why != null) {
            return "LOCAL " + why;
        }
        boolean terminal = isTerminal(m.fds()[1]);
        // the descriptors now belong to the writers (closed with them, not by closeFds)
        int out = dup(m.fds()[0]);
        int err = dup(m.fds()[1]);
        int code;
        try (PrintWriter o = writer(out); PrintWriter e = writer(err)) {
            code = ScopedValue.where(ProcessIdentity.FORWARDED, caller.identity())
                    .where(Progress.TERMINAL, terminal)
                    .call(() -> {
                        CommandLine cl = Cli.commandLine(CommandLine.defaultFactory(), args);
                        cl.setOut(o);
                        cl.setErr(e);
                        return cl.execute(args);
                    });
        }
        return "EXIT " + code;
    }

    /** Why the command must run in the caller's own process, or null to run it here. */
    String refusal(UnixSocket.Peer peer, Caller caller, String[] args) {
        if (peer.uid() != 0 && peer.uid() != serverUid) {
            return "the server runs commands for root and uid " + serverUid + " only";
        }
        String name = Cli.commandName(args);
        if (name == null || !FORWARDABLE.contains(name)) {
            return "not a command on files of a mount";
        }
        if (!caller.famfsEnv().equals(serverEnv)) {
            return "FAMFS_* settings differ from the server's (" + String.join(", ", COMMAND_SETTINGS) + ")";
        }
        if (!caller.javaOpts().equals(serverJavaOpts)) {
            return "FAMFS_JAVA_OPTS differs from the server's (JVM options of its own)";
        }
        if (!caller.cwd().equals(serverCwd) && hasRelativePath(args)) {
            return "relative path from another working directory";
        }
        return null;
    }

    /**
     * Whether a value that may name a file (a string or path option or operand, or a list
     * of them) is relative. Command lines that do not parse have none: they fail the same
     * way wherever they run.
     */
    static boolean hasRelativePath(String[] args) {
        CommandLine probe = Cli.commandLine(CommandLine.defaultFactory(), args);
        CommandLine.ParseResult pr;
        try {
            pr = probe.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            return false;
        }
        for (CommandLine.ParseResult r = pr; r != null; r = r.subcommand()) {
            for (CommandLine.Model.ArgSpec spec : r.matchedArgs()) {
                if (mayNameFile(spec)) {
                    for (String v : spec.originalStringValues()) {
                        if (!v.startsWith("/")) {
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    private static boolean mayNameFile(CommandLine.Model.ArgSpec spec) {
        Class<?> t = spec.type();
        if (t.isArray() || Collection.class.isAssignableFrom(t)) {
            Class<?>[] aux = spec.auxiliaryTypes();
            t = aux.length > 0 ? aux[0] : String.class;
        }
        return t == String.class || t == Path.class || t == java.io.File.class;
    }

    private static Map<String, String> famfsSettings(Map<String, String> env) {
        Map<String, String> m = new TreeMap<>();
        env.forEach((k, v) -> {
            if (COMMAND_SETTINGS.contains(k)) {
                m.put(k, v);
            }
        });
        return m;
    }

    private static List<String> split(byte[] data) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < data.length; i++) {
            if (data[i] == 0) {
                out.add(new String(data, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        return out;
    }

    private static PrintWriter writer(int fd) {
        return new PrintWriter(new OutputStreamWriter(new FdOutputStream(fd), StandardCharsets.UTF_8), true);
    }

    private static int dup(int fd) {
        return io.famfs.device.Libc.dup(fd);
    }

    /** What a command's progress display asks of stderr: a terminal. */
    private static boolean isTerminal(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The calling process as the kernel knows it. */
    record Caller(ProcessIdentity identity, Path cwd, Map<String, String> famfsEnv, String javaOpts) {
        static Caller of(UnixSocket.Peer peer) throws IOException {
            Path proc = Path.of("/proc", Integer.toString(peer.pid()));
            Path cwd = Files.readSymbolicLink(proc.resolve("cwd"));
            int umask = 022;
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                if (line.startsWith("Umask:")) {
                    umask = Integer.parseInt(line.substring(6).trim(), 8);
                }
            }
            Map<String, String> env = new TreeMap<>();
            for (String kv : split(Files.readAllBytes(proc.resolve("environ")))) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            return new Caller(new ProcessIdentity(peer.uid(), peer.gid(), umask), cwd, famfsSettings(env),
                    CommandServer.javaOpts(env));
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
