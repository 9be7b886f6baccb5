package io.famfs.torture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.famfs.testing.Daemon;
import io.famfs.testing.Devices;
import io.famfs.testing.Launcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fleet API against hostile and careless clients, over raw HTTP/1.1 so that requests
 * a well-behaved client library would refuse to send (bad percent-escapes, wrong
 * lengths) reach the server: traversal, encodings, JSON types, sizes, tokens and the
 * client role. Every refusal answers the right 4xx with a JSON {@code {"error": ...}}
 * body, and none changes the log.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestTortureIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Path dev;
    private Daemon master;
    private Daemon client;
    private String token;

    @BeforeAll
    void start() throws Exception {
        dev = Devices.create("rest", 8 * Devices.GIB);
        Launcher.famfs(Devices.MASTER, "mkfs", dev.toString()).ok();
        master = Daemon.mount(dev, Devices.MASTER);
        client = Daemon.mount(dev, Devices.CLIENT);
        token = master.token();
        assertEquals(201, master.post("/api/v1/dirs", "{\"path\":\"d\"}").status());
    }

    @AfterAll
    void stop() throws Exception {
        for (Daemon d : new Daemon[] {client, master}) {
            if (d != null) {
                d.close();
            }
        }
        Devices.delete(dev);
    }

    record Reply(int status, String body) {
    }

    /** Sends one raw request and reads the reply (Connection: close). */
    private static Reply raw(int port, String method, String target, List<String> headers, byte[] body) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            StringBuilder req = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
            for (String h : headers) {
                req.append(h).append("\r\n");
            }
            if (body != null) {
                req.append("Content-Length: ").append(body.length).append("\r\n");
            }
            req.append("\r\n");
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                try {
                    out.write(body);
                } catch (java.net.SocketException e) {
                    // the server may answer (413) and close before taking the whole body
                }
            }
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            try {
                in.transferTo(all);
            } catch (java.net.SocketException e) {
                // reset after the reply
            }
            String text = all.toString(StandardCharsets.UTF_8);
            int status = Integer.parseInt(text.substring(9, 12));
            int bodyAt = text.indexOf("\r\n\r\n");
            String head = text.substring(0, bodyAt).toLowerCase();
            String b = text.substring(bodyAt + 4);
            if (head.contains("transfer-encoding: chunked")) {
                b = dechunk(b);
            }
            return new Reply(status, b);
        }
    }

    private static String dechunk(String b) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < b.length()) {
            int eol = b.indexOf("\r\n", i);
            int n = Integer.parseInt(b.substring(i, eol).trim(), 16);
            if (n == 0) {
                break;
            }
            out.append(b, eol + 2, eol + 2 + n);
            i = eol + 2 + n + 2;
        }
        return out.toString();
    }

    private Reply post(Daemon d, String path, String json) throws Exception {
        return raw(d.port, "POST", path, List.of("Authorization: Bearer " + d.token(), "Content-Type: application/json"),
                json.getBytes(StandardCharsets.UTF_8));
    }

    private long entries() throws Exception {
        try (FileChannel ch = FileChannel.open(dev, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0x200000 + 40);
            return b.getLong(0);
        }
    }

    private static void assertJsonError(Reply r, int status, String what) throws Exception {
        assertEquals(status, r.status(), what + " -> " + r.body());
        JsonNode n;
        try {
            n = JSON.readTree(r.body());
        } catch (Exception e) {
            throw new AssertionError(what + ": body is not JSON: '" + r.body() + "'");
        }
        assertTrue(n != null && n.path("error").isTextual() && !n.path("error").asText().isBlank(),
                what + ": no {\"error\": ...} in '" + r.body() + "'");
    }

    @Test
    void everyBadRequestAnswersItsStatusWithAJsonErrorAndChangesNothing() throws Exception {
        long before = entries();
        List<Object[]> cases = new ArrayList<>();
        // JSON types
        for (String body : List.of("{\"path\":5,\"size\":\"1m\"}", "{\"path\":\"t1\",\"size\":1.5}",
                "{\"path\":\"t2\",\"size\":\"1m\",\"uid\":\"0\"}", "{\"path\":\"t3\",\"size\":\"1m\",\"seed\":\"7\"}",
                "{\"path\":\"t4\",\"size\":\"1m\",\"nstrips\":2.5}", "{\"path\":\"t5\",\"size\":\"1m\",\"uid\":true}",
                "{\"path\":[\"t6\"],\"size\":\"1m\"}", "{\"path\":{\"a\":1},\"size\":\"1m\"}", "[1,2]", "\"just a string\"",
                "{\"path\":\"t7\",\"size\":\"1m\"} trailing", "{\"path\":\"t8\",\"path\":\"t9\",\"size\":\"1m\"}",
                "{\"path\":\"t10\",\"size\":\"1m\"", "", "{\"path\":\"t11\",\"size\":\"1m\",\"uid\":-1}",
                "{\"path\":\"t12\",\"size\":\"1m\",\"mode\":\"999\"}")) {
            cases.add(new Object[] {"POST", "/api/v1/files", body, 400});
        }
        // paths: traversal, absolute, empty components, reserved, too long, NUL
        for (String p : List.of("../x", "d/../../x", "/abs", "//x", "d//x", ".meta", ".meta/x", "n".repeat(80), "a\\u0000b",
                "./../x")) {
            cases.add(new Object[] {"POST", "/api/v1/files", "{\"path\":\"" + p + "\",\"size\":\"1m\"}", 400});
        }
        cases.add(new Object[] {"POST", "/api/v1/files", "{\"path\":\"missing/x\",\"size\":\"1m\"}", 404});
        cases.add(new Object[] {"POST", "/api/v1/dirs", "{\"path\":\"d\"}", 409});
        cases.add(new Object[] {"POST", "/api/v1/files", "{\"path\":\"huge\",\"size\":\"9g\"}", 400});
        for (Object[] c : cases) {
            Reply r = post(master, (String) c[1], (String) c[2]);
            assertJsonError(r, (Integer) c[3], c[0] + " " + c[1] + " " + c[2]);
        }
        // encodings in the URL: bad percent-escapes, encoded traversal, unknown routes, methods
        for (String bad : List.of("/api/v1/files/%zz", "/api/v1/files/%", "/api/v1/files/a%2")) {
            // refused by the HTTP server before any handler: right status, empty body (docs/api.md)
            assertEquals(400, raw(master.port, "GET", bad, List.of(), null).status(), bad);
        }
        String[][] urls = {
                {"GET", "/api/v1/files/%2e%2e/%2e%2e/etc", "404"}, {"GET", "/api/v1/checksum/..%2Fx", "400"},
                {"GET", "/api/v1/content/d%2F..%2F..%2Fx", "400"}, {"GET", "/api/v1/files/nope", "404"},
                {"GET", "/api/v1/no-such-endpoint", "404"}, {"GET", "/no/such/thing", "404"},
                {"DELETE", "/api/v1/dirs", "405"}, {"GET", "/api/v1/fmap/d", "400"},
        };
        for (String[] u : urls) {
            Reply r = raw(master.port, u[0], u[1], List.of("Authorization: Bearer " + token), null);
            assertJsonError(r, Integer.parseInt(u[2]), u[0] + " " + u[1]);
        }
        // media type, and a body over the limit
        assertJsonError(raw(master.port, "POST", "/api/v1/files", List.of("Authorization: Bearer " + token,
                "Content-Type: text/plain"), "{\"path\":\"m\",\"size\":\"1m\"}".getBytes()), 415, "text/plain body");
        byte[] big = new byte[11 << 20];
        java.util.Arrays.fill(big, (byte) ' ');
        assertJsonError(raw(master.port, "POST", "/api/v1/files", List.of("Authorization: Bearer " + token,
                "Content-Type: application/json"), big), 413, "11 MiB body");
        assertEquals(before, entries(), "a refused request changed the log");
    }

    @Test
    void tokensAreCheckedAndTheSchemeIsCaseInsensitive() throws Exception {
        long before = entries();
        for (String auth : List.of("", "Authorization: Bearer", "Authorization: Bearer wrong", "Authorization: Basic " + token,
                "Authorization: Bearer" + token, "Authorization: " + token, "Authorization: Bearer " + token + "x")) {
            List<String> h = new ArrayList<>(List.of("Content-Type: application/json"));
            if (!auth.isEmpty()) {
                h.add(auth);
            }
            Reply r = raw(master.port, "POST", "/api/v1/dirs", h, "{\"path\":\"tok\"}".getBytes());
            assertJsonError(r, 401, "'" + auth + "'");
        }
        assertEquals(before, entries());
        int n = 0;
        for (String scheme : List.of("bearer", "BEARER", "BeArEr")) {
            Reply r = raw(master.port, "POST", "/api/v1/dirs", List.of("Content-Type: application/json",
                    "Authorization: " + scheme + "  " + token), ("{\"path\":\"tok" + n++ + "\"}").getBytes());
            assertEquals(201, r.status(), scheme + ": " + r.body());
        }
    }

    @Test
    void aClientRefusesEveryMutation() throws Exception {
        long before = entries();
        assertJsonError(post(client, "/api/v1/files", "{\"path\":\"c\",\"size\":\"1m\"}"), 409, "client create");
        assertJsonError(post(client, "/api/v1/dirs", "{\"path\":\"c\"}"), 409, "client mkdir");
        assertEquals(before, entries());
    }
}
