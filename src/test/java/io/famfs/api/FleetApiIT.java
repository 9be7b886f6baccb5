package io.famfs.api;

import io.famfs.testing.Daemon;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.famfs.fuse.MountTable;
import io.famfs.testing.Devices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fleet API for real: two mount daemons (a master and a client of one device) on
 * loopback ports, driven over HTTP; health, metrics, tokens, bad requests, and memory-
 * error quarantine through the injection point.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetApiIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Path dev;
    private Daemon master;
    private Daemon client;

    @BeforeAll
    void start() throws Exception {
        dev = Devices.create("api", 8 * Devices.GIB);
        LauncherHelper.famfs(Devices.MASTER, "mkfs", dev.toString());
        master = Daemon.mount(dev, Devices.MASTER, "--ras-inject");
        client = Daemon.mount(dev, Devices.CLIENT);
    }

    @AfterAll
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (master != null) {
            master.close();
        }
        Devices.delete(dev);
    }

    private static JsonNode json(Daemon.Reply r) throws IOException {
        return JSON.readTree(r.body());
    }

    private long entries() throws Exception {
        return json(master.get("/api/v1/status")).get("log").get("entriesUsed").asLong();
    }

    @Test
    @Order(1)
    void statusHealthMetricsAndOpenApi() throws Exception {
        JsonNode s = json(master.get("/api/v1/status"));
        assertEquals("master", s.get("role").asText());
        assertEquals(Devices.MASTER, s.get("systemUuid").asText());
        assertEquals("ok", s.get("device").get("state").asText());
        assertEquals(15420, s.get("log").get("entryCapacity").asInt());
        assertEquals(8 * Devices.GIB, s.get("superblock").get("deviceSize").asLong());
        assertEquals(master.mountPoint.toString(), s.get("mountPoint").asText());
        assertEquals("client", json(client.get("/api/v1/status")).get("role").asText());
        assertEquals(200, master.get("/q/health/live").status());
        assertEquals(200, master.get("/q/health/ready").status());
        assertEquals(200, master.get("/q/health/started").status());
        String metrics = master.get("/q/metrics").body();
        assertTrue(metrics.contains("famfs_replay_lag_entries"), metrics);
        assertTrue(metrics.contains("famfs_fuse_operations_total{op=\"read\"}"), metrics);
        assertTrue(master.get("/q/openapi").body().contains("/api/v1/files"));
    }

    @Test
    @Order(2)
    void mutationsNeedTheTokenAndChangeNothingWithout() throws Exception {
        long before = entries();
        String body = "{\"path\":\"nope\",\"size\":\"1m\"}";
        assertEquals(401, master.send("POST", "/api/v1/files", body, null).status());
        assertEquals(401, master.send("POST", "/api/v1/files", body, "wrong-token-wrong-token").status());
        assertEquals(401, master.send("POST", "/api/v1/dirs", "{\"path\":\"nope\"}", null).status());
        assertEquals(401, master.send("POST", "/api/v1/quarantine/clear", null, null).status());
        assertEquals(401, master.send("PUT", "/api/v1/log-level", "{\"level\":\"FINE\"}", null).status());
        assertEquals(before, entries());
        assertFalse(Files.exists(master.mountPoint.resolve("nope")));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(master.tokenFile)));
    }

    @Test
    @Order(3)
    void masterCreatesClientsSeeItWithTheSameBytesAndMap() throws Exception {
        assertEquals(201, master.post("/api/v1/dirs", "{\"path\":\"data/in\",\"parents\":true,\"mode\":\"0750\"}").status());
        Daemon.Reply created = master.post("/api/v1/files",
                "{\"path\":\"data/in/blob\",\"size\":\"5m\",\"seed\":42,\"nstrips\":2,\"nbuckets\":4}");
        assertEquals(201, created.status(), created.body());
        assertEquals("interleaved", json(created).get("type").asText());
        // visible in the master's mount at once, and on the client without a manual replay
        assertTrue(Files.exists(master.mountPoint.resolve("data/in/blob")));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (client.get("/api/v1/files/data/in/blob").status() != 200) {
            assertTrue(System.nanoTime() < deadline, "the client never saw the file");
            Thread.sleep(10);
        }
        assertEquals(json(master.get("/api/v1/fmap/data/in/blob")), json(client.get("/api/v1/fmap/data/in/blob")));
        String sum = json(master.get("/api/v1/checksum/data/in/blob")).get("sha256").asText();
        assertEquals(sum, json(client.get("/api/v1/checksum/data/in/blob")).get("sha256").asText());
        byte[] viaClientMount = Files.readAllBytes(client.mountPoint.resolve("data/in/blob"));
        assertEquals(sum, java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(viaClientMount)));
        JsonNode listing = json(client.get("/api/v1/files/data/in"));
        assertEquals("blob", listing.get("entries").get(0).get("name").asText());
        assertEquals("0444", listing.get("entries").get(0).get("mode").asText()); // read-only on the client
        LauncherHelper.famfs(Devices.MASTER, "verify", "-S", "42", "-f", master.mountPoint.resolve("data/in/blob").toString());
    }

    @Test
    @Order(4)
    void aClientCannotMutateAndBadRequestsChangeNothing() throws Exception {
        Daemon.Reply r = client.send("POST", "/api/v1/files", "{\"path\":\"x\",\"size\":\"1m\"}", client.token());
        assertEquals(409, r.status());
        assertTrue(r.body().contains("client"), r.body());
        long before = entries();
        for (String[] bad : new String[][] {
                {"/api/v1/files", "{\"path\":\"../escape\",\"size\":\"1m\"}", "400"},
                {"/api/v1/files", "{\"path\":\"" + "n".repeat(80) + "\",\"size\":\"1m\"}", "400"},
                {"/api/v1/files", "{\"path\":\"big\",\"size\":\"1t\"}", "400"},
                {"/api/v1/files", "{\"path\":\"big\",\"size\":\"-5\"}", "400"},
                {"/api/v1/files", "{\"path\":\"big\",\"size\":\"lots\"}", "400"},
                {"/api/v1/files", "{\"path\":\"no/parent\",\"size\":\"1m\"}", "404"},
                {"/api/v1/files", "{\"path\":\"data/in/blob\",\"size\":\"1m\"}", "409"},
                {"/api/v1/files", "{\"path\":\"x\",\"size\":\"1m\",\"nstrips\":17,\"nbuckets\":8}", "400"},
                {"/api/v1/files", "{not json", "400"},
                {"/api/v1/dirs", "{\"path\":\"data\"}", "409"},
                {"/api/v1/dirs", "{}", "400"},
        }) {
            Daemon.Reply reply = master.post(bad[0], bad[1]);
            assertEquals(Integer.parseInt(bad[2]), reply.status(), bad[1] + " -> " + reply.body());
            assertTrue(json(reply).has("error"), reply.body());
        }
        assertEquals(before, entries());
        assertEquals(404, master.get("/api/v1/files/no/such/thing").status());
        // a '..' in the URL is normalised away by HTTP itself or refused by us: never served
        int dotdot = master.get("/api/v1/files/data/%2E%2E/%2E%2E/etc").status();
        assertTrue(dotdot == 400 || dotdot == 404, "status " + dotdot);
        assertEquals(404, master.get("/api/v1/fmap/missing").status());
    }

    @Test
    @Order(5)
    void replayFsckAndLogLevel() throws Exception {
        assertEquals(200, master.post("/api/v1/replay", null).status());
        JsonNode fsck = json(master.get("/api/v1/fsck"));
        assertEquals(0, fsck.get("collisions").asInt());
        assertEquals(1, fsck.get("files").asInt());
        assertEquals(200, master.send("PUT", "/api/v1/log-level", "{\"level\":\"DEBUG\"}", master.token()).status());
        assertEquals("FINE", json(master.get("/api/v1/log-level")).get("level").asText());
        assertEquals(400, master.send("PUT", "/api/v1/log-level", "{\"level\":\"LOUD\"}", master.token()).status());
        assertEquals(403, client.send("POST", "/api/v1/ras/inject", "{\"offset\":0}", client.token()).status());
    }

    @Test
    @Order(6)
    void injectedMemoryErrorQuarantinesTheDeviceAndNothingElse() throws Exception {
        long offset = json(master.get("/api/v1/fmap/data/in/blob")).get("strips").get(0).get("offset").asLong();
        assertEquals(200, master.post("/api/v1/ras/inject", "{\"offset\":" + offset + ",\"length\":4096}").status());
        assertThrows(IOException.class, () -> Files.readAllBytes(master.mountPoint.resolve("data/in/blob")));
        JsonNode q = json(master.get("/api/v1/quarantine"));
        assertEquals("quarantined", q.get("state").asText());
        assertEquals("INJECTED", q.get("fault").get("kind").asText());
        assertEquals(offset, q.get("fault").get("deviceOffset").asLong());
        assertTrue(q.get("fault").has("time"));
        Daemon.Reply ready = master.get("/q/health/ready");
        assertEquals(503, ready.status());
        assertTrue(ready.body().contains("quarantined"), ready.body());
        assertEquals(200, master.get("/q/health/live").status()); // the process is fine
        assertTrue(master.get("/q/metrics").body().contains("famfs_device_quarantined 1.0"));
        assertEquals("quarantined", json(master.get("/api/v1/status")).get("device").get("state").asText());
        assertEquals(409, master.post("/api/v1/files", "{\"path\":\"more\",\"size\":\"1m\"}").status());
        // the rest of the tree still answers; the other node is untouched
        assertTrue(Files.isDirectory(master.mountPoint.resolve("data/in")));
        assertEquals(200, client.get("/q/health/ready").status());
        // clearing is explicit
        assertEquals(200, master.post("/api/v1/quarantine/clear", null).status());
        assertEquals(409, master.post("/api/v1/quarantine/clear", null).status());
        assertEquals(200, master.get("/q/health/ready").status());
    }

    @Test
    @Order(7)
    void aRealSigbusIsContainedAndTheMountStillUnmounts() throws Exception {
        Path dev2 = Devices.create("sigbus", 8 * Devices.GIB);
        LauncherHelper.famfs(Devices.MASTER, "mkfs", dev2.toString());
        try (Daemon d = Daemon.mount(dev2, Devices.MASTER)) {
            assertEquals(201, d.post("/api/v1/files", "{\"path\":\"f\",\"size\":\"4m\",\"seed\":3}").status());
            ProcessHandle server = d.process();
            // shrink the memory under the running mount: the file's second half is gone
            try (var ch = java.nio.channels.FileChannel.open(dev2, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(12L << 20);
            }
            assertThrows(IOException.class, () -> Files.readAllBytes(d.mountPoint.resolve("f")));
            JsonNode q = json(d.get("/api/v1/quarantine"));
            assertEquals("quarantined", q.get("state").asText(), q.toString());
            assertEquals("MEMORY_FAULT", q.get("fault").get("kind").asText());
            assertTrue(q.get("fault").get("deviceOffset").asLong() >= 12L << 20, q.toString());
            assertEquals(503, d.get("/q/health/ready").status());
            assertTrue(d.get("/q/metrics").body().contains("famfs_device_quarantined 1.0"));
            assertTrue(server.isAlive());
            assertEquals(200, d.get("/q/health/live").status());
            LauncherHelper.famfs(Devices.MASTER, "umount", d.mountPoint.toString());
            server.onExit().get(30, TimeUnit.SECONDS);
            assertFalse(MountTable.isMounted(d.mountPoint));
        } finally {
            Devices.delete(dev2);
        }
    }

    /** Runs bin/famfs as node {@code uuid}; fails the test on a non-zero exit. */
    static final class LauncherHelper {
        static void famfs(String uuid, String... args) throws Exception {
            List<String> cmd = new java.util.ArrayList<>(List.of("env", "FAMFS_SYSTEM_UUID=" + uuid,
                    Daemon.HOME.resolve("bin/famfs").toString()));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", args) + " failed: " + out);
            }
        }
    }
}
