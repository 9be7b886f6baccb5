package io.famfs.api;

import io.famfs.FamfsException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The transport rule: plain HTTP on loopback only, HTTPS only when TLS is configured. */
class ApiTlsTest {
    private static Properties app(String host) {
        Properties p = new Properties();
        p.setProperty("quarkus.http.host", host);
        p.setProperty("quarkus.http.port", "7373");
        return p;
    }

    @Test
    void loopbackStaysPlainHttp() {
        Properties sys = new Properties();
        ApiTls.configure(Map.of(), sys, app("127.0.0.1"));
        ApiTls.configure(Map.of("QUARKUS_HTTP_HOST", "localhost"), sys, app("0.0.0.0"));
        assertNull(sys.getProperty("quarkus.http.insecure-requests"));
    }

    @Test
    void plainHttpOffLoopbackIsRefusedInOneLine() {
        FamfsException e = assertThrows(FamfsException.class,
                () -> ApiTls.configure(Map.of("QUARKUS_HTTP_HOST", "0.0.0.0"), new Properties(), app("127.0.0.1")));
        assertTrue(e.getMessage().startsWith("refusing to serve the fleet API in plain HTTP on 0.0.0.0"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
        Properties sys = new Properties();
        sys.setProperty("quarkus.http.host", "10.1.2.3");
        assertThrows(FamfsException.class, () -> ApiTls.configure(Map.of(), sys, app("127.0.0.1")));
        // the listener turned off: nothing to refuse
        ApiTls.configure(Map.of("QUARKUS_HTTP_HOST_ENABLED", "false", "QUARKUS_HTTP_HOST", "0.0.0.0"), new Properties(), app("127.0.0.1"));
    }

    @Test
    void aQuarkusKeyStoreMeansHttpsOnlyOnTheApiPort() {
        Properties sys = new Properties();
        ApiTls.configure(Map.of("QUARKUS_HTTP_HOST", "0.0.0.0", "QUARKUS_HTTP_PORT", "9000",
                "QUARKUS_TLS_KEY_STORE_P12_PATH", "/etc/famfs/tls/keystore.p12"), sys, app("127.0.0.1"));
        assertEquals("disabled", sys.getProperty("quarkus.http.insecure-requests"));
        assertEquals("9000", sys.getProperty("quarkus.http.ssl-port"));
    }

    @Test
    void unusableTlsFilesAreOneLineErrors() throws Exception {
        Path dir = Files.createTempDirectory("famfs-tls");
        Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate\n");
        Map<String, String> env = Map.of("QUARKUS_HTTP_HOST", "0.0.0.0", "FAMFS_TLS_CERT", junk.toString(),
                "FAMFS_TLS_KEY", junk.toString());
        assertEquals("FAMFS_TLS_CERT: " + junk + " is not a PEM certificate",
                assertThrows(FamfsException.class, () -> ApiTls.configure(env, new Properties(), app("127.0.0.1"))).getMessage());
        assertTrue(assertThrows(FamfsException.class, () -> ApiTls.configure(Map.of("FAMFS_TLS_CERT", "/no/such.pem",
                "FAMFS_TLS_KEY", "/no/such.key"), new Properties(), app("127.0.0.1"))).getMessage().startsWith("FAMFS_TLS_CERT: cannot read"));
        assertThrows(FamfsException.class, () -> ApiTls.configure(Map.of("FAMFS_TLS_KEY", junk.toString()), new Properties(), app("0.0.0.0")));
        assertThrows(FamfsException.class, () -> ApiTls.configure(Map.of("FAMFS_TLS_CLIENT_CA", junk.toString()), new Properties(), app("127.0.0.1")));
    }

    private static String resource(String name) throws Exception {
        return Path.of(ApiTlsTest.class.getResource("/tls/" + name).toURI()).toString();
    }

    @Test
    void aCertificateAndItsKeyMeanHttpsOnlyThroughTheTlsRegistry() throws Exception {
        Properties sys = new Properties();
        ApiTls.configure(Map.of("QUARKUS_HTTP_HOST", "0.0.0.0", "FAMFS_TLS_CERT", resource("test.crt"),
                "FAMFS_TLS_KEY", resource("test.key"), "FAMFS_TLS_CLIENT_CA", resource("test.crt")), sys, app("127.0.0.1"));
        assertEquals(resource("test.crt"), sys.getProperty("quarkus.tls.key-store.pem.famfs.cert"));
        assertEquals(resource("test.key"), sys.getProperty("quarkus.tls.key-store.pem.famfs.key"));
        assertEquals(resource("test.crt"), sys.getProperty("quarkus.tls.trust-store.pem.certs"));
        assertEquals("disabled", sys.getProperty("quarkus.http.insecure-requests"));
        assertEquals("7373", sys.getProperty("quarkus.http.ssl-port"));
        assertEquals("true", sys.getProperty(ApiTls.CLIENT_CERT_REQUIRED));
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsAOneLineError() throws Exception {
        Path dir = Files.createTempDirectory("famfs-tls");
        Path garbled = Files.writeString(dir.resolve("garbled.key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        Path encrypted = Files.writeString(dir.resolve("enc.key"), "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        for (String key : new String[] {resource("other.key"), garbled.toString(), encrypted.toString()}) {
            FamfsException e = assertThrows(FamfsException.class, () -> ApiTls.configure(Map.of("FAMFS_TLS_CERT", resource("test.crt"),
                    "FAMFS_TLS_KEY", key), new Properties(), app("127.0.0.1")));
            assertTrue(e.getMessage().startsWith("FAMFS_TLS_KEY: " + key), e.getMessage());
        }
    }
}
