package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.log.Famfs;
import io.famfs.log.MasterSession;
import io.famfs.log.NodeIdentity;
import io.famfs.ops.FileOps;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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

    @Option(names = {"-v", "--verbose"}, description = "Print each directory created (repeatable)")
    boolean[] verbose = new boolean[0];

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
                String rel = rels.get(k);
                if (rel.isEmpty() && !parents) {
                    throw new FamfsException("/: the root directory already exists");
                }
                for (String path : FileOps.mkdir(session, rel, mode, u, g, parents)) {
                    if (verbose.length > 0) {
                        out().println("mkdir " + path);
                    }
                }
            }
        }
        target.refreshMount();
        return 0;
    }
}
