package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.log.Famfs;
import io.famfs.log.MasterSession;
import io.famfs.log.NodeIdentity;
import io.famfs.namespace.Namespace;
import io.famfs.namespace.PathRules;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/** {@code famfs mkdir [-p] [-m MODE] [-u UID] [-g GID] DIR}: master only. */
@Command(name = "mkdir", mixinStandardHelpOptions = true, description = "Create a directory (master only).")
class MkdirCommand extends Subcommand {
    @Mixin
    DeviceOption target;

    @Option(names = {"-p", "--parents"}, description = "Create missing parents, parent first; no error if it exists")
    boolean parents;

    @Option(names = {"-m", "--mode"}, converter = Modes.OctalMode.class, description = "Mode (octal, default 0755)")
    int mode = 0755;

    @Option(names = {"-u", "--uid"}, description = "Owner uid (default: caller)")
    Integer uid;

    @Option(names = {"-g", "--gid"}, description = "Owner gid (default: caller)")
    Integer gid;

    @Option(names = {"-v", "--verbose"}, description = "Print each directory created")
    boolean verbose;

    @Parameters(paramLabel = "DIR", arity = "1..*")
    List<String> dirs;

    @Override
    public Integer call() {
        ProcessIdentity me = ProcessIdentity.current();
        int u = uid != null ? uid : me.uid();
        int g = gid != null ? gid : me.gid();
        List<String> rels = dirs.stream().map(target::relative).toList();
        try (Famfs fs = target.open(true); MasterSession session = MasterSession.begin(fs, NodeIdentity.systemUuid())) {
            for (int k = 0; k < dirs.size(); k++) {
                String d = dirs.get(k);
                String rel = rels.get(k);
                if (rel.isEmpty()) {
                    if (parents) {
                        continue;
                    }
                    throw new FamfsException("/: the root directory already exists");
                }
                String problem = PathRules.problem(rel);
                if (problem != null) {
                    throw new FamfsException("invalid path '" + d + "': " + problem);
                }
                for (String path : parents ? prefixes(rel) : List.of(rel)) {
                    Namespace.Node existing = session.namespace().lookup(path);
                    if (existing instanceof Namespace.Dir && parents) {
                        continue;
                    }
                    if (existing != null) {
                        throw new FamfsException(path + ": already exists");
                    }
                    session.mkdir(path, mode, u, g);
                    if (verbose) {
                        out().println("mkdir " + path);
                    }
                }
            }
        }
        target.refreshMount();
        return 0;
    }

    /** "a/b/c" gives a, a/b, a/b/c. */
    static List<String> prefixes(String rel) {
        List<String> out = new ArrayList<>();
        int i = -1;
        while ((i = rel.indexOf('/', i + 1)) > 0) {
            out.add(rel.substring(0, i));
        }
        out.add(rel);
        return out;
    }
}
