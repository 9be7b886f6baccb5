package io.famfs.testing;

import io.famfs.fuse.MountTable;
import io.famfs.fuse.Unmount;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A mount daemon started the way users start it ({@code bin/famfs mount}), with its own
 * node identity, HTTP port and token file, and an HTTP client for its API.
 */
public final class Daemon implements AutoCloseable {
    public static final Path HOME = Path.of(System.getProperty("famfs.home", ".")).toAbsolutePath();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public final Path mountPoint;
    public final int port;
    public final Path tokenFile;
    public final String nodeUuid;

    private Daemon(Path mountPoint, int port, Path tokenFile, String nodeUuid) {
        this.mountPoint = mountPoint;
        this.port = port;
        this.tokenFile = tokenFile;
        this.nodeUuid = nodeUuid;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public static Daemon mount(Path device, String nodeUuid, String... extra) throws Exception {
        return mountAt(device, Files.createTempDirectory("famfs-api-mnt"), nodeUuid, extra);
    }

    /** A mount at {@code mp} (an existing directory, or a symbolic link to one). */
    public static Daemon mountAt(Path device, Path mp, String nodeUuid, String... extra) throws Exception {
        Path token = Files.createTempDirectory("famfs-api-token").resolve("token");
        int port = freePort();
        List<String> cmd = new ArrayList<>(List.of("env", "FAMFS_SYSTEM_UUID=" + nodeUuid, "QUARKUS_HTTP_PORT=" + port,
                "FAMFS_API_TOKEN_FILE=" + token, HOME.resolve("bin/famfs").toString(), "mount"));
        cmd.addAll(List.of(extra));
        cmd.addAll(List.of("--log-file", mp + ".log", device.toString(), mp.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("famfs mount failed: " + out + "\n" + Files.readString(Path.of(mp + ".log")));
        }
        return new Daemon(mp, port, token, nodeUuid);
    }

    public String token() throws IOException {
        return Files.readString(tokenFile).strip();
    }

    public record Reply(int status, String body) {
    }

    public Reply get(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    public Reply send(String method, String path, String json, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    public Reply post(String path, String json) throws Exception {
        return send("POST", path, json, token());
    }

    /** The server process serving this mount. */
    public ProcessHandle process() {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains("--foreground")
                        && List.of(a).contains(mountPoint.toString())).orElse(false))
                .findFirst().orElseThrow(() -> new AssertionError("no server process for " + mountPoint));
    }

    @Override
    public void close() throws Exception {
        ProcessHandle server = MountTable.isMounted(mountPoint) ? process() : null;
        if (MountTable.isMounted(mountPoint)) {
            Unmount.run(mountPoint);
        }
        if (server != null) {
            server.onExit().get(30, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(mountPoint);
        Files.deleteIfExists(Path.of(mountPoint + ".log"));
    }
}
