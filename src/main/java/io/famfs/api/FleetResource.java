package io.famfs.api;

import io.famfs.fuse.FuseStats;
import io.famfs.fuse.MountedFs;
import io.famfs.log.FsckReport;
import io.famfs.log.ReplayReport;
import io.famfs.namespace.FileData;
import io.famfs.namespace.FileDescription;
import io.famfs.namespace.Namespace;
import io.famfs.ras.Fault;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import org.eclipse.microprofile.openapi.annotations.Operation;

import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The fleet API of a mount daemon, version 1. Reads are open on loopback; mutations
 * need the bearer token ({@link AuthFilter}) and the master role.
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
public class FleetResource {
    @Inject
    FleetService service;

    @GET
    @Path("/status")
    @Operation(summary = "Node and file system status: role, device state, superblock, log use, capacity, replay lag")
    public Map<String, Object> status() {
        MountedFs m = ServedMount.require();
        MountedFs.SuperblockInfo sb = m.superblock();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("role", m.role().name().toLowerCase());
        s.put("systemUuid", io.famfs.log.NodeIdentity.systemUuid().toString());
        s.put("mountPoint", ServedMount.server().mountPoint().toString());
        s.put("device", device(m));
        s.put("superblock", sb);
        Map<String, Object> log = new LinkedHashMap<>();
        long applied = m.appliedIndex();
        long lag = m.lagEntries();
        log.put("entriesUsed", applied + lag);
        log.put("entryCapacity", m.famfs().entryCapacity());
        log.put("appliedIndex", applied);
        log.put("lagEntries", lag);
        log.put("lastReplayMillis", m.lastReplayMillis());
        s.put("log", log);
        s.put("capacity", Map.of("bytes", sb.deviceSize(), "allocatedBytes", m.allocatedBytesNow(),
                "freeBytes", sb.deviceSize() - m.allocatedBytesNow()));
        s.put("files", m.namespace().fileCount());
        s.put("directories", m.namespace().dirCount());
        return s;
    }

    static Map<String, Object> device(MountedFs m) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("path", m.health().device());
        d.put("kind", m.famfs().device().kind().name().toLowerCase());
        d.put("size", m.famfs().device().size());
        d.put("state", m.health().quarantined() ? "quarantined" : "ok");
        d.put("fault", m.health().fault().orElse(null));
        d.put("faultEvents", m.health().events());
        return d;
    }

    private static Namespace.Node node(MountedFs m, String path) {
        Namespace.Node n = m.namespace().lookup(FleetService.relPath(path));
        if (n == null) {
            throw new ApiError(404, "no such file or directory: " + path);
        }
        return n;
    }

    private static Map<String, Object> describe(String name, Namespace.Node n, MountedFs m) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("name", name);
        d.put("type", n instanceof Namespace.Dir ? "directory" : "file");
        if (n instanceof Namespace.File f) {
            d.put("size", f.size());
            d.put("mode", String.format("0%o", m.presentedMode(f.mode())));
        } else {
            d.put("mode", String.format("0%o", n.mode()));
        }
        d.put("uid", n.uid());
        d.put("gid", n.gid());
        return d;
    }

    @GET
    @Path("/files/{path: .*}")
    @Operation(summary = "Stat a path; for a directory, also list its entries")
    public Map<String, Object> stat(@PathParam("path") String path) {
        MountedFs m = ServedMount.require();
        Namespace.Node n = node(m, path);
        Map<String, Object> d = describe(path.isEmpty() ? "/" : path, n, m);
        if (n instanceof Namespace.Dir dir) {
            List<Map<String, Object>> entries = new ArrayList<>();
            dir.children().forEach((name, child) -> entries.add(describe(name, child, m)));
            d.put("entries", entries);
        }
        return d;
    }

    @GET
    @Path("/fmap/{path: .+}")
    @Operation(summary = "A file's map: extents or interleaved strips, i.e. the device ranges holding it")
    public Map<String, Object> fmap(@PathParam("path") String path) {
        MountedFs m = ServedMount.require();
        if (!(node(m, path) instanceof Namespace.File f)) {
            throw new ApiError(400, path + " is a directory");
        }
        return FileDescription.of(f);
    }

    private static FileData readable(MountedFs m, String path) {
        if (!(node(m, path) instanceof Namespace.File f)) {
            throw new ApiError(400, path + " is a directory");
        }
        if (m.health().quarantined()) {
            throw new ApiError(409, "device " + m.health().device() + " is quarantined");
        }
        return new FileData(m.famfs().device().memory(), f.meta());
    }

    @GET
    @Path("/checksum/{path: .+}")
    @Operation(summary = "SHA-256 of a file's content, read from the device")
    public Map<String, Object> checksum(@PathParam("path") String path) throws NoSuchAlgorithmException {
        MountedFs m = ServedMount.require();
        FileData data = readable(m, path);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        MemorySegment buf = MemorySegment.ofArray(new byte[1 << 20]);
        for (long off = 0; off < data.size(); off += buf.byteSize()) {
            long n = data.read(off, buf.asSlice(0, Math.min(buf.byteSize(), data.size() - off)));
            sha.update(buf.asByteBuffer().limit((int) n));
        }
        return Map.of("path", path, "size", data.size(), "sha256", HexFormat.of().formatHex(sha.digest()));
    }

    @GET
    @Path("/content/{path: .+}")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    @Operation(summary = "A file's bytes")
    public Response content(@PathParam("path") String path) {
        MountedFs m = ServedMount.require();
        FileData data = readable(m, path);
        StreamingOutput body = out -> {
            byte[] buf = new byte[1 << 20];
            for (long off = 0; off < data.size(); off += buf.length) {
                int n = (int) data.read(off, MemorySegment.ofArray(buf).asSlice(0, Math.min(buf.length, data.size() - off)));
                out.write(buf, 0, n);
            }
        };
        return Response.ok(body).header("Content-Length", data.size()).build();
    }

    @POST
    @Path("/dirs")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create a directory (master only; token)")
    public Response mkdir(Requests.Mkdir req) {
        if (req == null) {
            throw new ApiError(400, "a JSON body is required");
        }
        List<String> created = service.mkdir(req);
        return Response.status(201).entity(Map.of("created", created)).build();
    }

    @POST
    @Path("/files")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create a pre-allocated file of a size, optionally filled from a seed (master only; token)")
    public Response create(Requests.Create req) {
        if (req == null) {
            throw new ApiError(400, "a JSON body is required");
        }
        var record = service.create(req);
        MountedFs m = ServedMount.require();
        return Response.status(201).entity(FileDescription.of((Namespace.File) m.namespace().lookup(record.path()))).build();
    }

    @POST
    @Path("/replay")
    @Operation(summary = "Replay the log now; returns what was applied (token)")
    public ReplayReport replay() {
        return ServedMount.require().replay();
    }

    @GET
    @Path("/fsck")
    @Operation(summary = "fsck of the served device: collisions, bad entries, capacity")
    public FsckReport fsck() {
        MountedFs m = ServedMount.require();
        if (m.health().quarantined()) {
            throw new ApiError(409, "device " + m.health().device() + " is quarantined");
        }
        return FsckReport.scan(m.famfs(), io.famfs.log.NodeIdentity.systemUuid(), 0);
    }

    @GET
    @Path("/quarantine")
    @Operation(summary = "Memory-error state: quarantine, first fault (address, time), events, injection")
    public Map<String, Object> quarantine() {
        MountedFs m = ServedMount.require();
        Map<String, Object> q = device(m);
        q.put("quarantines", m.health().quarantines());
        q.put("injectionEnabled", m.injector().enabled());
        q.put("poisoned", m.injector().poisoned());
        q.put("badblocksFile", m.badblocks().map(b -> b.file().toString()).orElse(null));
        FuseStats st = m.stats();
        q.put("fuseErrors", st.errors());
        return q;
    }

    @POST
    @Path("/quarantine/clear")
    @Operation(summary = "Lift the quarantine after the cause is fixed (token); never automatic")
    public Map<String, Object> clear() {
        MountedFs m = ServedMount.require();
        Fault was;
        try {
            was = m.health().clear().orElseThrow(() -> new ApiError(409, "the device is not quarantined"));
        } catch (io.famfs.FamfsException e) {
            throw new ApiError(409, e.getMessage());
        }
        return Map.of("cleared", was);
    }

    @POST
    @Path("/ras/inject")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Test only: poison a device range (mount started with --ras-inject; token)")
    public Map<String, Object> inject(Requests.Inject req) {
        MountedFs m = ServedMount.require();
        if (!m.injector().enabled()) {
            throw new ApiError(403, "fault injection is not enabled on this mount (famfs mount --ras-inject)");
        }
        if (req == null || req.offset() == null || req.offset() < 0 || req.offset() >= m.superblock().deviceSize()) {
            throw new ApiError(400, "'offset' must lie on the device");
        }
        long len = req.length() == null ? 4096 : req.length();
        m.injector().poison(req.offset(), len);
        return Map.of("poisoned", m.injector().poisoned());
    }

    private static final Logger FAMFS_LOG = Logger.getLogger("io.famfs");

    @GET
    @Path("/log-level")
    @Operation(summary = "The famfs log level")
    public Map<String, Object> logLevel() {
        Level l = FAMFS_LOG.getLevel();
        return Map.of("logger", "io.famfs", "level", l == null ? "INFO (inherited)" : l.getName());
    }

    @PUT
    @Path("/log-level")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Set the famfs log level: SEVERE, WARNING, INFO, FINE (DEBUG), FINEST (TRACE) (token)")
    public Map<String, Object> setLogLevel(Requests.LogLevel req) {
        if (req == null || req.level() == null) {
            throw new ApiError(400, "a 'level' is required");
        }
        String name = switch (req.level().toUpperCase()) {
            case "DEBUG" -> "FINE";
            case "TRACE" -> "FINEST";
            case "WARN" -> "WARNING";
            case "ERROR" -> "SEVERE";
            default -> req.level().toUpperCase();
        };
        try {
            FAMFS_LOG.setLevel(Level.parse(name));
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, "unknown log level '" + req.level() + "'");
        }
        return logLevel();
    }
}
