package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.format.LogEntry;
import io.famfs.format.LogRecord;
import io.famfs.log.Famfs;
import io.famfs.log.LogReader;
import io.famfs.log.NodeIdentity;
import io.famfs.log.Role;
import io.famfs.namespace.Namespace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code famfs logplay --dryrun --device DEV}: replay the log of an unmounted device into
 * a scratch namespace and list what a mount would create. Exit status is the number of
 * errors (refused entries, and an invalid entry that stops the replay), capped at 255.
 */
@Command(name = "logplay", mixinStandardHelpOptions = true,
        description = "Replay a mount's log now (MOUNTPOINT), or list what replay would create (--dryrun).")
class LogplayCommand extends Subcommand {
    @Mixin
    DeviceOption target;

    @Option(names = {"-n", "--dryrun"}, description = "Do not change anything; list what replay would do (counted)")
    boolean[] dryrunCount = new boolean[0];

    @Option(names = {"-v", "--verbose"}, description = "Also list entries that already existed or were ignored; "
            + "with --shadow, print each file's YAML (counted)")
    boolean[] verboseCount = new boolean[0];

    @Option(names = "--shadow", paramLabel = "PATH",
            description = "Write the shadow tree upstream's famfs_fused reads into PATH/root (or PATH if it ends in /root)")
    List<java.nio.file.Path> shadow = new ArrayList<>();

    @Option(names = "--shadowtest", description = "With --shadow: parse every shadow file again and count differences as errors")
    boolean shadowTest;

    @Option(names = {"-d", "--daxdev"}, paramLabel = "DEV",
            description = "With --shadow: read the superblock and log from DEV (PATH is then optional)")
    java.nio.file.Path daxdev;

    @Option(names = {"-m", "--mmap"}, description = "Read the log by mmap (the default; accepted for upstream scripts)")
    boolean mmap;

    @Option(names = {"-r", "--read"}, description = "Read the log with read() (accepted for upstream scripts)")
    boolean read;

    boolean dryrun;
    boolean verbose;

    @Option(names = {"-c", "--client"}, description = "Replay as a client (write bits stripped from modes)")
    boolean client;

    @Option(names = "--json", description = "Print the listing as JSON")
    boolean json;

    @picocli.CommandLine.Parameters(paramLabel = "MOUNTPOINT", arity = "0..1",
            description = "A famfs mount: replay its log now and report what was added")
    java.nio.file.Path mountPoint;

    /** One line of the listing. */
    record Item(long index, String action, String type, String path, Long size, String mode, int uid, int gid,
                String message) {
    }

    @Override
    public Integer call() {
        dryrun = dryrunCount.length > 0;
        verbose = verboseCount.length > 0;
        if (mmap && read) {
            throw new FamfsException("-m/--mmap and -r/--read are mutually exclusive", 1);
        }
        if (shadow.size() > 1) {
            throw new FamfsException("--shadow given more than once", 22);
        }
        if (daxdev != null && shadow.isEmpty()) {
            throw new FamfsException("--daxdev needs --shadow", 1);
        }
        if (!shadow.isEmpty()) {
            return shadowPlay(shadow.getFirst());
        }
        if (mountPoint != null) {
            target.relative(mountPoint.toString());
            if (!dryrun) {
                String report = DeviceOption.readLogplay(target.mountPoint());
                out().print(report);
                out().flush();
                return report.contains("\nerror: ") || report.startsWith("error: ") ? 1 : 0;
            }
        } else if (!dryrun) {
            throw new FamfsException("without a mount there is nothing to replay into: use --dryrun with --device");
        }
        try (Famfs fs = target.open(false)) {
            fs.requireValidLog();
            boolean asClient = client || fs.roleOf(NodeIdentity.systemUuid()) != Role.MASTER;
            Namespace ns = new Namespace(fs.superblock().deviceSize(), fs.superblock().allocUnit());
            List<Item> items = new ArrayList<>();
            int[] errors = {0};
            long next = fs.log().nextIndex();
            String[] stop = {null};
            io.famfs.log.LogScan.scan(fs, 0, next, new io.famfs.log.LogScan.Consumer() {
                @Override
                public void entry(long i, io.famfs.format.LogRecord record) {
                    Namespace.Outcome outcome = ns.apply(i, record);
                    if (outcome.effect() == Namespace.Effect.REJECTED) {
                        errors[0]++;
                    }
                    items.add(item(i, record, outcome, asClient));
                }

                @Override
                public void malformed(long i, String problem) {
                    errors[0]++;
                    items.add(new Item(i, "error", typeName(fs.readEntry(i).type()), null, null, null, 0, 0, problem));
                }

                @Override
                public boolean invalid(long i, String problem) {
                    errors[0]++;
                    items.add(new Item(i, "error", typeName(fs.readEntry(i).type()), null, null, null, 0, 0, problem));
                    stop[0] = problem;
                    return false;
                }
            });
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("device", fs.device().path().toString());
            summary.put("role", asClient ? "client" : "master");
            summary.put("entries", next);
            summary.put("files", ns.fileCount());
            summary.put("directories", ns.dirCount());
            summary.put("errors", errors[0]);
            summary.put("stoppedAt", stop[0]);
            if (json) {
                summary.put("items", items);
                Json.print(out(), summary);
            } else {
                for (Item it : items) {
                    if (verbose || it.action().equals("create") || it.action().equals("error")) {
                        out().println(format(it));
                    }
                }
                out().printf("logplay (dry run): %d entries, %d files and %d directories would be created, %d errors%n",
                        next, ns.fileCount(), ns.dirCount(), errors[0]);
                if (stop[0] != null) {
                    err().println("famfs logplay: " + stop[0] + "; replay stops there");
                }
            }
            return Math.min(255, errors[0]);
        }
    }

    /** Upstream's shadow logplay: the log (of PATH's file system, or of --daxdev) into a shadow tree. */
    private int shadowPlay(java.nio.file.Path shadowPath) {
        if (!java.nio.file.Files.exists(shadowPath)) {
            throw new FamfsException(shadowPath + ": shadow path does not exist", 2);
        }
        if (!java.nio.file.Files.isDirectory(shadowPath)) {
            throw new FamfsException(shadowPath + ": shadow path is not a directory", 20);
        }
        if (!java.nio.file.Files.isWritable(shadowPath)) {
            throw new FamfsException(shadowPath + ": shadow path is not writable", 13);
        }
        boolean test = shadowTest || daxdev != null;
        out().println("Logplay: running in shadow test mode");
        if (dryrun) {
            out().println("Logplay: dry_run selected");
        }
        Famfs fs;
        if (daxdev != null) {
            fs = Famfs.open(daxdev, false);
        } else if (mountPoint != null) {
            target.relative(mountPoint.toString());
            fs = target.open(false);
        } else if (target.device != null) {
            fs = target.open(false);
        } else {
            throw new FamfsException("a PATH in a famfs mount (or --daxdev DEV) is required", 1);
        }
        try (fs) {
            fs.requireValidLog();
            boolean asClient = client || fs.roleOf(NodeIdentity.systemUuid()) != Role.MASTER;
            io.famfs.log.Replayer replayer = new io.famfs.log.Replayer(fs);
            io.famfs.log.ReplayReport report = replayer.replay();
            if (report.stopReason() != null) {
                throw new FamfsException(report.stopReason(), 1);
            }
            io.famfs.shadow.ShadowTree tree = io.famfs.shadow.ShadowTree.at(shadowPath);
            if (!dryrun) {
                tree.writeMeta(fs.superblock().logLen(), asClient);
            }
            io.famfs.shadow.ShadowTree.Stats st = tree.write(replayer.namespace(), report, 0, dryrun, test,
                    verbose ? y -> out().print(y) : null);
            for (String p : st.problems) {
                err().println("famfs logplay: " + p);
            }
            out().print(st.summary("famfs_logplay(shadow)", verbose));
            out().flush();
            return Math.min(127, st.errors());
        }
    }

    private static Item item(long i, LogRecord r, Namespace.Outcome outcome, boolean asClient) {
        String action = switch (outcome.effect()) {
            case CREATED -> "create";
            case EXISTED -> "exists";
            case IGNORED -> "ignore";
            case REJECTED -> "error";
        };
        return switch (r) {
            case LogRecord.File f -> new Item(i, action, "file", f.path(), f.size(),
                    Modes.octal(asClient ? f.mode() & ~0222 : f.mode()), f.uid(), f.gid(), outcome.message());
            case LogRecord.Mkdir m -> new Item(i, action, "dir", m.path(), null, Modes.octal(m.mode()), m.uid(), m.gid(),
                    outcome.message());
            default -> new Item(i, action, typeName(r.type()), null, null, null, 0, 0, outcome.message());
        };
    }

    static String typeName(int type) {
        return switch (type) {
            case LogRecord.TYPE_FILE -> "file";
            case LogRecord.TYPE_MKDIR -> "dir";
            case LogRecord.TYPE_DELETE -> "delete";
            case LogRecord.TYPE_ADD_DAXDEV -> "add_daxdev";
            default -> "type" + type;
        };
    }

    private static String format(Item it) {
        if (it.action().equals("error")) {
            return String.format("[%d] error: %s", it.index(), it.message());
        }
        if (it.path() == null) {
            return String.format("[%d] %s %s", it.index(), it.action(), it.type());
        }
        return String.format("[%d] %s %-4s %s %s %d:%d%s", it.index(), it.action(), it.type(), it.mode(),
                it.path(), it.uid(), it.gid(), it.size() == null ? "" : " size=" + it.size());
    }
}
