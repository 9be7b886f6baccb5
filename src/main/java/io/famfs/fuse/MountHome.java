package io.famfs.fuse;

import io.famfs.FamfsException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The one place on this host where a mount's local endpoints live: every mount server
 * owns one directory, named from its mount point, so two mounts never share (or fight
 * over) an endpoint:
 * <pre>
 *   /run/famfs/                       (root; else $XDG_RUNTIME_DIR/famfs or /tmp/famfs-UID)
 *     m-0123456789abcdef/             SHA-256 of the mount point, first 16 hex digits
 *       server                        key=value: mountpoint, device, fsuuid, pid, started, api
 *       broker.sock                   descriptor broker (direct access)
 *       cli.sock                      forwarded commands (io.famfs.cli.CommandServer)
 *       shadow/                       upstream famfs_fused shadow tree and socket (reserved)
 * </pre>
 * The mount root answers {@code getxattr user.famfs.home} with this path, so a program
 * finds it from the mount alone. Permission rule for everything in it: the directory is
 * 0755 and owned by the server's user; files are 0644; a socket is open to connect, and
 * every request on it is authorised by the caller's SO_PEERCRED credentials against what
 * that caller could do directly (never by the socket's mode alone).
 *
 * <p>The home is made when the mount is up and removed when the server ends; a home left
 * by a server that died (its pid gone, or another process's) is taken over.
 */
public final class MountHome {
    public static final String SERVER_FILE = "server";

    private final Path dir;

    private MountHome(Path dir) {
        this.dir = dir;
    }

    /** Where homes live for this user. */
    static Path base() {
        String override = System.getenv("FAMFS_RUN_DIR");
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/run/famfs");
        }
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isBlank() && Files.isDirectory(Path.of(xdg))) {
            return Path.of(xdg, "famfs");
        }
        return Path.of("/tmp", "famfs-" + System.getProperty("user.name"));
    }

    /** The home of the mount at {@code mountPoint} (which may not exist yet). */
    public static MountHome of(Path mountPoint) {
        String key = MountTable.canonical(mountPoint).toString();
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return new MountHome(base().resolve("m-" + HexFormat.of().formatHex(h, 0, 8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    public Path brokerSocket() {
        return dir.resolve("broker.sock");
    }

    public Path cliSocket() {
        return dir.resolve("cli.sock");
    }

    public Path shadowDir() {
        return dir.resolve("shadow");
    }

    /** Makes the home for the server of this process and records it. */
    public void create(Path mountPoint, Path device, java.util.UUID fsUuid, String api) {
        try {
            Files.createDirectories(dir.getParent());
            Optional<Map<String, String>> old = read();
            if (old.isPresent() && ownerAlive(old.get())
                    && !old.get().get("pid").equals(Long.toString(ProcessHandle.current().pid()))) {
                throw new FamfsException(dir + ": in use by the server of " + old.get().get("mountpoint")
                        + " (pid " + old.get().get("pid") + ")");
            }
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Map<String, String> m = new LinkedHashMap<>();
            m.put("mountpoint", mountPoint.toAbsolutePath().normalize().toString());
            m.put("device", device.toAbsolutePath().toString());
            m.put("fsuuid", fsUuid.toString());
            m.put("pid", Long.toString(ProcessHandle.current().pid()));
            m.put("started", ProcessHandle.current().info().startInstant().map(Instant::toString).orElse(""));
            m.put("api", api == null ? "" : api);
            StringBuilder b = new StringBuilder();
            m.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
            Path tmp = dir.resolve(SERVER_FILE + ".tmp");
            Files.writeString(tmp, b);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            try {
                Files.move(tmp, dir.resolve(SERVER_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(SERVER_FILE), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new FamfsException("cannot make the mount's home " + dir + ": " + e.getMessage());
        }
    }

    /** The recorded server, if any (whether or not it still runs). */
    public Optional<Map<String, String>> read() {
        try {
            Map<String, String> m = new LinkedHashMap<>();
            for (String line : Files.readAllLines(dir.resolve(SERVER_FILE))) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    m.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            return Optional.of(m);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The recorded server process, if it still runs (same pid and start time). */
    public Optional<ProcessHandle> server() {
        return read().filter(MountHome::ownerAlive).flatMap(m -> ProcessHandle.of(Long.parseLong(m.get("pid"))));
    }

    private static boolean ownerAlive(Map<String, String> m) {
        try {
            Optional<ProcessHandle> p = ProcessHandle.of(Long.parseLong(m.getOrDefault("pid", "")));
            if (p.isEmpty() || !p.get().isAlive()) {
                return false;
            }
            String started = m.getOrDefault("started", "");
            return started.isEmpty() || p.get().info().startInstant().map(Instant::toString).orElse("").equals(started);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Removes the home (server shutdown); only this process's own. */
    public void remove() {
        Optional<Map<String, String>> m = read();
        if (m.isPresent() && !m.get().getOrDefault("pid", "").equals(Long.toString(ProcessHandle.current().pid()))) {
            return;
        }
        try (var entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                if (Files.isDirectory(p)) {
                    try (var inner = Files.walk(p)) {
                        inner.sorted(java.util.Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
                    }
                } else {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // gone already, or not ours to remove
        }
    }
}
