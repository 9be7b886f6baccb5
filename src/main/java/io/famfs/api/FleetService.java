package io.famfs.api;

import io.famfs.format.LogRecord;
import io.famfs.fuse.MountedFs;
import io.famfs.log.AllocConfig;
import io.famfs.log.MasterSession;
import io.famfs.log.Role;
import io.famfs.log.Sizes;
import io.famfs.ops.FileOps;
import io.famfs.namespace.PathRules;
import jakarta.enterprise.context.ApplicationScoped;

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
        List<String> created;
        try (MasterSession s = MasterSession.begin(m.famfs(), m.superblock().masterUuid())) {
            created = FileOps.mkdir(s, rel, mode, uid, gid, parents);
        }
        m.replay();
        return created;
    }

    /** Allocates, fills (with a seed) and then logs a file; returns its log record. */
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
        cfg.validate(m.superblock().deviceSize(), m.superblock().allocUnit());
        mayMutate(m);
        FileOps.Result r;
        try (MasterSession s = MasterSession.begin(m.famfs(), m.superblock().masterUuid())) {
            if (s.namespace().lookup(rel) != null) {
                throw new ApiError(409, rel + ": already exists");
            }
            FileOps.Content content = seed != 0 ? new FileOps.Seeded(seed) : new FileOps.Empty();
            r = FileOps.createFiles(m.famfs(), s, List.of(new FileOps.NewFile(rel, size, mode, uid, gid, content)), cfg, 1,
                    n -> { }, f -> { });
        }
        m.replay();
        if (!r.ok()) {
            throw r.failures().getFirst().exception();
        }
        return r.created().getFirst();
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
