package io.famfs.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.famfs.testing.Devices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fleet of four nodes in containers on one machine: one master and three clients
 * sharing one device file, on host networking with distinct loopback ports, driven only
 * through REST. Needs a local Docker engine and the famfs-appliance image (image/oci);
 * run with {@code mvn verify -Pfleet} (see bin/fleet-test).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ContainerFleetIT {
    private static final String IMAGE = System.getProperty("famfs.fleet.image", "famfs-appliance:latest");
    private static final String TOKEN = "fleet-test-token-0123456789";
    private static final String DEVICE = "/dev/famfs-fleet.img";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path dev;
    private final List<Node> nodes = new ArrayList<>();

    /** One container: its REST port and the container itself. */
    record Node(String name, int port, String uuid, GenericContainer<?> container) {
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Node start(String name, String uuid, boolean mkfs, int port) {
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withNetworkMode("host")
                // FUSE needs /dev/fuse and CAP_SYS_ADMIN; not --privileged, which asks for
                // capabilities a sandboxed host may not have
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
                        .withCapAdd(com.github.dockerjava.api.model.Capability.SYS_ADMIN)
                        .withDevices(com.github.dockerjava.api.model.Device.parse("/dev/fuse"))
                        .withSecurityOpts(List.of("apparmor=unconfined")))
                .withFileSystemBind(dev.toString(), DEVICE, BindMode.READ_WRITE)
                .withEnv("FAMFS_UUID", uuid)
                .withEnv("FAMFS_DEVICE", DEVICE)
                .withEnv("FAMFS_MKFS", mkfs ? "1" : "0")
                .withEnv("FAMFS_HTTP", "127.0.0.1:" + port)
                .withEnv("FAMFS_TOKEN", TOKEN)
                .waitingFor(Wait.forLogMessage(".*mounted and serving at.*\\n", 1)
                        .withStartupTimeout(Duration.ofSeconds(120)));
        c.start();
        return new Node(name, port, uuid, c);
    }

    private static JsonNode call(Node n, String method, String path, String body, int expect) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.port() + path))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expect, r.statusCode(), n.name() + " " + method + " " + path + ": " + r.body());
        return JSON.readTree(r.body());
    }

    private static JsonNode get(Node n, String path) throws Exception {
        return call(n, "GET", path, null, 200);
    }

    private static void awaitFile(Node n, String path) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + n.port() + "/api/v1/files/" + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, n.name() + " never saw " + path);
            Thread.sleep(20);
        }
    }

    private static List<String> names(JsonNode listing) {
        List<String> out = new ArrayList<>();
        listing.get("entries").forEach(e -> out.add(e.get("name").asText() + ":" + e.get("size")));
        return out;
    }

    @BeforeAll
    void startFleet() throws Exception {
        dev = Devices.create("fleet", 8 * Devices.GIB);
        nodes.add(start("master", Devices.MASTER, true, freePort()));
        for (int i = 1; i <= 3; i++) {
            nodes.add(start("client" + i, "0c0c0c0c-2222-4333-8444-00000000000" + i, false, freePort()));
        }
    }

    @AfterAll
    void stopFleet() {
        nodes.forEach(n -> n.container().stop());
        Devices.delete(dev);
    }

    @Test
    void aMasterAndThreeClientsShareOneDeviceThroughRestOnly() throws Exception {
        Node master = nodes.getFirst();
        assertEquals("master", get(master, "/api/v1/status").get("role").asText());
        for (Node c : nodes.subList(1, 4)) {
            assertEquals("client", get(c, "/api/v1/status").get("role").asText());
        }
        call(master, "POST", "/api/v1/dirs", "{\"path\":\"set\"}", 201);
        for (int i = 0; i < 3; i++) {
            call(master, "POST", "/api/v1/files", "{\"path\":\"set/f" + i + "\",\"size\":\"" + (i + 1) + "m\",\"seed\":" + (i + 11)
                    + (i == 2 ? ",\"nstrips\":2,\"nbuckets\":4" : "") + "}", 201);
        }
        for (Node c : nodes.subList(1, 4)) {
            awaitFile(c, "set/f2");
            assertEquals(names(get(master, "/api/v1/files/set")), names(get(c, "/api/v1/files/set")),
                    c.name() + " lists another directory");
            for (int i = 0; i < 3; i++) {
                assertEquals(get(master, "/api/v1/fmap/set/f" + i), get(c, "/api/v1/fmap/set/f" + i));
                assertEquals(get(master, "/api/v1/checksum/set/f" + i).get("sha256"),
                        get(c, "/api/v1/checksum/set/f" + i).get("sha256"));
            }
            call(c, "POST", "/api/v1/files", "{\"path\":\"nope\",\"size\":\"1m\"}", 409);
        }
        // a node killed and restarted catches up
        Node victim = nodes.remove(2);
        victim.container().getDockerClient().killContainerCmd(victim.container().getContainerId()).exec();
        victim.container().stop();
        call(master, "POST", "/api/v1/files", "{\"path\":\"set/late\",\"size\":\"2m\",\"seed\":5}", 201);
        Node back = start(victim.name(), victim.uuid(), false, victim.port());
        nodes.add(back);
        awaitFile(back, "set/late");
        assertEquals(get(master, "/api/v1/checksum/set/late").get("sha256"), get(back, "/api/v1/checksum/set/late").get("sha256"));
        assertEquals(get(master, "/api/v1/fmap/set/late"), get(back, "/api/v1/fmap/set/late"));
    }
}
