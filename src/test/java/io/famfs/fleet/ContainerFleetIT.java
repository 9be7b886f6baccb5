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
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fleet of four nodes in containers on one machine: one master and three clients
 * sharing one device file, on host networking with distinct ports, driven only through
 * REST. Plain HTTP is for loopback only, so three nodes listen on every address and serve
 * HTTPS: the master with an operator-provided certificate, client1 with the one its
 * container made at first start (pinned: the fingerprint it logged must be the
 * certificate's), client2 with the operator's certificate and client certificates
 * required (mutual TLS); client3 listens on 127.0.0.1 in plain HTTP. Needs a local Docker
 * engine and the famfs-appliance image (image/oci); run with {@code mvn verify -Pfleet}
 * (see bin/fleet-test).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ContainerFleetIT {
    private static final String IMAGE = System.getProperty("famfs.fleet.image", "famfs-appliance:latest");
    private static final String TOKEN = "fleet-test-token-0123456789";
    private static final String DEVICE = "/dev/famfs-fleet.img";
    private static final HttpClient PLAIN = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final char[] PASS = "fleet-test-pass".toCharArray();
    private static final String OPERATOR = "/etc/famfs/operator";
    private static final Pattern FINGERPRINT = Pattern.compile("TLS certificate SHA-256 ([0-9A-F:]{95}) \\((\\S+)\\)");

    private Path dev;
    private Path tls;
    private final List<Node> nodes = new ArrayList<>();

    /** How a node serves its API. */
    enum Tls { OPERATOR, GENERATED, MUTUAL, LOOPBACK }

    /** One container: its REST port, the container, and the client that talks to it. */
    record Node(String name, int port, String uuid, Tls tls, GenericContainer<?> container, HttpClient http) {
        String url(String path) {
            return (tls == Tls.LOOPBACK ? "http" : "https") + "://127.0.0.1:" + port + path;
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Node start(String name, String uuid, boolean mkfs, int port, Tls tls) throws Exception {
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withNetworkMode("host")
                // FUSE needs /dev/fuse and CAP_SYS_ADMIN; not --privileged, which asks for
                // capabilities a sandboxed host may not have
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
                        .withCapAdd(com.github.dockerjava.api.model.Capability.SYS_ADMIN)
                        .withDevices(com.github.dockerjava.api.model.Device.parse("/dev/fuse"))
                        .withSecurityOpts(List.of("apparmor=unconfined")))
                .withFileSystemBind(dev.toString(), DEVICE, BindMode.READ_WRITE)
                .withFileSystemBind(this.tls.toString(), OPERATOR, BindMode.READ_ONLY)
                .withEnv("FAMFS_UUID", uuid)
                .withEnv("FAMFS_DEVICE", DEVICE)
                .withEnv("FAMFS_MKFS", mkfs ? "1" : "0")
                .withEnv("FAMFS_HTTP", (tls == Tls.LOOPBACK ? "127.0.0.1:" : "0.0.0.0:") + port)
                .withEnv("FAMFS_TOKEN", TOKEN)
                .waitingFor(Wait.forLogMessage(".*mounted and serving at.*\\n", 1)
                        .withStartupTimeout(Duration.ofSeconds(120)));
        if (tls == Tls.OPERATOR || tls == Tls.MUTUAL) {
            c.withEnv("FAMFS_TLS_CERT", OPERATOR + "/server.crt").withEnv("FAMFS_TLS_KEY", OPERATOR + "/server.key");
        }
        if (tls == Tls.MUTUAL) {
            c.withEnv("FAMFS_TLS_CLIENT_CA", OPERATOR + "/client-ca.crt");
        }
        c.start();
        HttpClient http = switch (tls) {
            case LOOPBACK -> PLAIN;
            case OPERATOR -> https(this.tls.resolve("server.crt"), null);
            case MUTUAL -> https(this.tls.resolve("server.crt"), this.tls.resolve("client.p12"));
            case GENERATED -> https(pinnedCertificate(c), null);
        };
        return new Node(name, port, uuid, tls, c, http);
    }

    /** The certificate a node made at first start, checked against the fingerprint it logged. */
    private Path pinnedCertificate(GenericContainer<?> c) throws Exception {
        Matcher m = FINGERPRINT.matcher(c.getLogs());
        assertTrue(m.find(), "no certificate fingerprint in the log: " + c.getLogs());
        Path pem = Files.createTempFile(tls, "generated", ".crt");
        c.copyFileFromContainer(m.group(2), pem.toString());
        Certificate cert = CertificateFactory.getInstance("X.509").generateCertificate(Files.newInputStream(pem));
        String sha256 = HexFormat.ofDelimiter(":").withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        assertEquals(m.group(1), sha256, "the certificate served is not the one whose fingerprint was logged");
        return pem;
    }

    /** An HTTPS client that trusts only the certificate(s) in a PEM file, with a client key if given. */
    private static HttpClient https(Path trusted, Path clientKeyStore) throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        try (InputStream in = Files.newInputStream(trusted)) {
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ts.setCertificateEntry("c" + i++, c);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        KeyManager[] km = null;
        if (clientKeyStore != null) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(clientKeyStore)) {
                ks.load(in, PASS);
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, PASS);
            km = kmf.getKeyManagers();
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(km, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** What an operator provides: a server key and certificate (PEM), and a client CA with one client (keytool). */
    private static void makeTlsMaterial(Path dir) throws Exception {
        keytool("-genkeypair", "-alias", "famfs", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "30",
                "-dname", "CN=fleet-test-server", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                "-storetype", "PKCS12", "-keystore", dir.resolve("server.p12").toString(), "-storepass", new String(PASS));
        keytool("-genkeypair", "-alias", "client", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "30",
                "-dname", "CN=fleet-test-client", "-storetype", "PKCS12", "-keystore", dir.resolve("client.p12").toString(),
                "-storepass", new String(PASS));
        KeyStore server = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
            server.load(in, PASS);
        }
        Files.writeString(dir.resolve("server.crt"), pem("CERTIFICATE", server.getCertificate("famfs").getEncoded()));
        Files.writeString(dir.resolve("server.key"), pem("PRIVATE KEY", server.getKey("famfs", PASS).getEncoded()));
        KeyStore client = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("client.p12"))) {
            client.load(in, PASS);
        }
        // the client's certificate is self-signed: it is its own CA
        Files.writeString(dir.resolve("client-ca.crt"), pem("CERTIFICATE", client.getCertificate("client").getEncoded()));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool " + args[0] + ": " + out);
    }

    private static JsonNode call(Node n, String method, String path, String body, int expect) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(n.url(path)))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = n.http().send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expect, r.statusCode(), n.name() + " " + method + " " + path + ": " + r.body());
        return JSON.readTree(r.body());
    }

    private static JsonNode get(Node n, String path) throws Exception {
        return call(n, "GET", path, null, 200);
    }

    private static void awaitFile(Node n, String path) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            HttpResponse<String> r = n.http().send(HttpRequest.newBuilder(
                    URI.create(n.url("/api/v1/files/" + path))).header("Authorization", "Bearer " + TOKEN).build(),
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
        tls = Files.createTempDirectory("famfs-fleet-tls");
        makeTlsMaterial(tls);
        nodes.add(start("master", Devices.MASTER, true, freePort(), Tls.OPERATOR));
        Tls[] kinds = {Tls.GENERATED, Tls.MUTUAL, Tls.LOOPBACK};
        for (int i = 1; i <= 3; i++) {
            nodes.add(start("client" + i, "0c0c0c0c-2222-4333-8444-00000000000" + i, false, freePort(), kinds[i - 1]));
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
        Node back = start(victim.name(), victim.uuid(), false, victim.port(), victim.tls());
        nodes.add(back);
        awaitFile(back, "set/late");
        assertEquals(get(master, "/api/v1/checksum/set/late").get("sha256"), get(back, "/api/v1/checksum/set/late").get("sha256"));
        assertEquals(get(master, "/api/v1/fmap/set/late"), get(back, "/api/v1/fmap/set/late"));
    }

    private Node node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }

    private static HttpResponse<String> send(HttpClient http, Node n, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(n.url(path))).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void plainHttpIsForLoopbackOnlyAndClientCertificatesAreRequiredWhereAsked() throws Exception {
        Node master = node("master");
        // off loopback the API answers HTTPS only: plain HTTP to the same port gets no answer
        assertThrows(IOException.class, () -> PLAIN.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + master.port() + "/q/health/ready")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()));
        assertEquals(200, send(master.http(), master, "/q/health/ready").statusCode());
        // a node's generated certificate is its own: a client that pinned another refuses it
        Node generated = node("client1");
        assertThrows(IOException.class, () -> send(https(tls.resolve("server.crt"), null), generated, "/q/health/ready"));
        assertEquals(200, send(generated.http(), generated, "/q/health/ready").statusCode());
        // mutual TLS: no client certificate, 403 before any route (REST, health, metrics)
        Node mutual = node("client2");
        HttpClient noCert = https(tls.resolve("server.crt"), null);
        for (String path : List.of("/api/v1/status", "/q/health/ready", "/q/metrics")) {
            HttpResponse<String> r = send(noCert, mutual, path);
            assertEquals(403, r.statusCode(), path + ": " + r.body());
            assertTrue(r.body().contains("client certificate"), r.body());
        }
        // a certificate the CA did not sign: the JDK client does not even offer it (the server names its CA), so 403
        assertEquals(403, send(https(tls.resolve("server.crt"), tls.resolve("server.p12")), mutual, "/api/v1/status").statusCode());
        assertEquals("client", get(mutual, "/api/v1/status").get("role").asText());
        // loopback keeps plain HTTP
        assertEquals(200, send(PLAIN, node("client3"), "/q/health/ready").statusCode());
        // the mount server itself refuses plain HTTP off loopback: one line, non-zero exit, no stack trace
        GenericContainer<?> bare = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withCreateContainerCmdModifier(cmd -> cmd.withEntrypoint("/bin/sh", "-c",
                        "QUARKUS_HTTP_HOST=0.0.0.0 /opt/famfs/bin/famfs mount --foreground /dev/null /mnt/famfs; echo exit=$?"))
                .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(Duration.ofSeconds(60)));
        bare.start();
        String logs = bare.getLogs();
        bare.stop();
        assertTrue(logs.contains("famfs mount: refusing to serve the fleet API in plain HTTP on 0.0.0.0"), logs);
        assertTrue(logs.contains("exit=1"), logs);
        assertFalse(logs.contains("\tat ") || logs.contains("Exception"), logs);
    }
}
