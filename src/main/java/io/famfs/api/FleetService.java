package io.famfs.api;

import io.famfs.FamfsException;
import io.famfs.format.LogRecord;
import io.famfs.fuse.MountedFs;
import io.famfs.log.AllocConfig;
import io.famfs.log.MasterSession;
import io.famfs.log.Role;
import io.famfs.log.Sizes;
import io.famfs.namespace.FileData;
import io.famfs.namespace.Namespace;
import io.famfs.namespace.PathRules;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.List;

/**
 * The master's mutations on the served file system, for the REST API. Every input is
 * validated before the log is touched, so a bad request changes nothing; each change
 * goes through {@link MasterSession} (role check, host lock, crash-consistent append)
 * and is replayed into the mount before the call returns.
 */
@ApplicationScoped
public class FleetService {

    static String relPath(String path) {
        if (path == null) {
            throw new ApiError(400, "a 'path' is required");
        }
        if (path.startsWith("/")) {
            throw new ApiError(400, "invalid path '" + path + "': paths are relative to the file system root");
        }
        String p = PathRules.tidy(path);
        if (p.isEmpty() || p.equals(".")) {
            return "";
        }
        String problem = PathRules.problem(p);
        if (problem != null) {
            throw new ApiError(400, "invalid path '" + path + "': " + problem);
        }
        return p;
    }

    /** A new entry's path: {@link #relPath} and not a reserved name. */
    static String newPath(String path) {
        String rel = relPath(path);
        String problem = rel.isEmpty() ? null : PathRules.newPathProblem(rel);
        if (problem != null) {
            throw new ApiError(400, "invalid path '" + path + "': " + problem);
        }
        return rel;
    }

    private static void mayMutate(MountedFs m) {
        m.checkUnchanged();
        if (m.health().quarantined()) {
            throw new ApiError(409, "device " + m.health().device() + " is quarantined; nothing may change it");
        }
        if (m.role() != Role.MASTER) {
            throw new ApiError(409, "this node is a client of " + m.health().device()
                    + "; only the master (" + m.superblock().masterUuid() + ") may change it");
        }
    }

    private static int mode(String text, int dflt) {
        if (text == null) {
            return dflt;
        }
        try {
            int mode = Integer.parseInt(text, 8);
            if (mode < 0 || mode > 07777) {
                throw new NumberFormatException();
            }
            return mode;
        } catch (NumberFormatException e) {
            throw new ApiError(400, "mode '" + text + "' is not octal");
        }
    }

    private static int id(Integer value, String what) {
        if (value == null) {
            return 0;
        }
        if (value < 0) {
            throw new ApiError(400, what + " must not be negative");
        }
        return value;
    }

    private static void checkNew(Namespace ns, String rel) {
        Namespace.Node parent = ns.lookup(PathRules.parent(rel));
        if (parent == null) {
            throw new ApiError(404, rel + ": parent directory does not exist");
        }
        if (!(parent instanceof Namespace.Dir)) {
            throw new ApiError(400, rel + ": parent is not a directory");
        }
        if (ns.lookup(rel) != null) {
            throw new ApiError(409, rel + ": already exists");
        }
    }

    /** Creates a directory (and missing parents with {@code parents}); returns the paths logged. */
    public synchronized List<String> mkdir(Requests.Mkdir req) {
        MountedFs m = ServedMount.require();
        String rel = newPath(req.path());
        if (rel.isEmpty()) {
            throw new ApiError(409, "the root directory already exists");
        }
        int mode = mode(req.mode(), 0755);
        int uid = id(req.uid(), "uid");
        int gid = id(req.gid(), "gid");
        boolean parents = Boolean.TRUE.equals(req.parents());
        mayMutate(m);
        List<String> created = new ArrayList<>();
        try (MasterSession s = MasterSession.begin(m.famfs(), m.superblock().masterUuid())) {
            List<String> chain = new ArrayList<>();
            if (parents) {
                for (int i = rel.indexOf('/'); i > 0; i = rel.indexOf('/', i + 1)) {
                    chain.add(rel.substring(0, i));
                }
            }
            chain.add(rel);
            for (String p : chain) {
                Namespace.Node existing = s.namespace().lookup(p);
                if (existing instanceof Namespace.Dir && (parents || !p.equals(rel))) {
                    continue;
                }
                checkNew(s.namespace(), p);
                s.mkdir(p, mode, uid, gid);
                created.add(p);
            }
        }
        m.replay();
        return created;
    }

    /** Allocates, logs and (with a seed) fills a file; returns its log record. */
    public synchronized LogRecord.File create(Requests.Create req) {
        MountedFs m = ServedMount.require();
        String rel = newPath(req.path());
        if (rel.isEmpty()) {
            throw new ApiError(400, "a file needs a name");
        }
        long size = size(req.size(), "size");
        if (size <= 0) {
            throw new ApiError(400, "size must be positive");
        }
        if (size > m.superblock().deviceSize()) {
            throw new ApiError(400, "size " + size + " does not fit on a " + m.superblock().deviceSize() + "-byte device");
        }
        int mode = mode(req.mode(), 0644);
        int uid = id(req.uid(), "uid");
        int gid = id(req.gid(), "gid");
        long seed = req.seed() == null ? 0 : req.seed();
        AllocConfig cfg = AllocConfig.fromFlags(req.nbuckets(), req.nstrips(),
                req.chunkSize() == null ? null : size(req.chunkSize(), "chunkSize"));
        try {
            cfg.validate(m.superblock().deviceSize(), m.superblock().allocUnit());
        } catch (FamfsException e) {
            throw new ApiError(400, e.getMessage());
        }
        mayMutate(m);
        LogRecord.File record;
        try (MasterSession s = MasterSession.begin(m.famfs(), m.superblock().masterUuid())) {
            checkNew(s.namespace(), rel);
            record = s.createFile(rel, size, mode, uid, gid, cfg);
        }
        if (seed != 0) {
            FileData data = new FileData(m.famfs().device().memory(), record);
            data.mapper().map(0, size, (off, len, d) -> m.famfs().device().prefault(off, len, true));
            data.randomize(seed);
            data.mapper().map(0, size, (off, len, d) -> m.famfs().device().flush(off, len));
        }
        m.replay();
        return record;
    }

    private static long size(String text, String what) {
        if (text == null) {
            throw new ApiError(400, "'" + what + "' is required");
        }
        try {
            return Sizes.parse(text);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new ApiError(400, what + " '" + text + "' is not a size");
        }
    }
}
