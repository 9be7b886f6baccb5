package io.famfs.api;

import io.famfs.FamfsException;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The fleet API's transport rule: plain HTTP on loopback only. The bearer token guards
 * every mutation, so off loopback the API serves HTTPS only, or does not start.
 *
 * <p>{@link #configure} runs in the mount server's {@code main} before Quarkus boots. It
 * maps famfs's TLS settings ({@code FAMFS_TLS_CERT} and {@code FAMFS_TLS_KEY}, PEM; and
 * {@code FAMFS_TLS_CLIENT_CA} for client certificates) to the Quarkus TLS registry, or
 * takes a key store configured through {@code quarkus.tls.*} / {@code quarkus.http.ssl.*}
 * directly. With TLS the API answers HTTPS only, on {@code quarkus.http.port}; without it
 * a non-loopback {@code quarkus.http.host} is refused with one line.
 *
 * <p>Client certificates: {@code quarkus.http.ssl.client-auth} is fixed at build time to
 * {@code request} (a presented certificate must chain to the trust store or the handshake
 * fails); with {@code FAMFS_TLS_CLIENT_CA} set, the filter below also refuses, before any
 * route, every request whose connection presented none.
 */
@Singleton
public class ApiTls {
    /** System property recording that client certificates are required (read by the filter). */
    static final String CLIENT_CERT_REQUIRED = "famfs.tls.client-cert-required";

    /**
     * Applies the rule to the environment and system properties of this process.
     *
     * @throws FamfsException (one line) for plain HTTP off loopback or unusable TLS files
     */
    public static void configure() {
        configure(System.getenv(), System.getProperties(), appProperties());
    }

    static void configure(Map<String, String> env, Properties sys, Properties app) {
        if ("false".equalsIgnoreCase(quarkus("quarkus.http.host-enabled", env, sys, app, "true"))) {
            return; // no listener at all
        }
        String cert = famfs("cert", env, sys);
        String key = famfs("key", env, sys);
        String clientCa = famfs("client-ca", env, sys);
        if ((cert == null) != (key == null)) {
            throw new FamfsException("FAMFS_TLS_CERT and FAMFS_TLS_KEY go together: set both (PEM files) or neither");
        }
        if (cert != null) {
            certificates("FAMFS_TLS_CERT", cert);
            privateKey(key);
            sys.setProperty("quarkus.tls.key-store.pem.famfs.cert", cert);
            sys.setProperty("quarkus.tls.key-store.pem.famfs.key", key);
        }
        boolean tls = cert != null || keyStoreConfigured(env, sys, app);
        String host = quarkus("quarkus.http.host", env, sys, app, "0.0.0.0");
        if (!tls) {
            if (clientCa != null) {
                throw new FamfsException("FAMFS_TLS_CLIENT_CA needs a server certificate: set FAMFS_TLS_CERT and FAMFS_TLS_KEY");
            }
            if (!loopback(host)) {
                throw new FamfsException("refusing to serve the fleet API in plain HTTP on " + host
                        + ": plain HTTP is for loopback only; set FAMFS_TLS_CERT and FAMFS_TLS_KEY (PEM files)"
                        + " or a quarkus.tls key store, or bind to 127.0.0.1");
            }
            return;
        }
        if (clientCa != null) {
            certificates("FAMFS_TLS_CLIENT_CA", clientCa);
            sys.setProperty("quarkus.tls.trust-store.pem.certs", clientCa);
            sys.setProperty(CLIENT_CERT_REQUIRED, "true");
        }
        // HTTPS only, on the API's port
        sys.setProperty("quarkus.http.insecure-requests", "disabled");
        if (sys.getProperty("quarkus.http.ssl-port") == null && env.get("QUARKUS_HTTP_SSL_PORT") == null) {
            sys.setProperty("quarkus.http.ssl-port", quarkus("quarkus.http.port", env, sys, app, "7373"));
        }
    }

    /** Refuses, before any route (REST, health, metrics), a request without a client certificate. */
    void requireClientCertificates(@Observes Filters filters) {
        if (!Boolean.getBoolean(CLIENT_CERT_REQUIRED)) {
            return;
        }
        filters.register(ApiTls::requireClientCertificate, Integer.MAX_VALUE);
    }

    private static void requireClientCertificate(RoutingContext rc) {
        SSLSession session = rc.request().sslSession();
        try {
            if (session != null && session.getPeerCertificates().length > 0) {
                rc.next();
                return;
            }
        } catch (SSLPeerUnverifiedException none) {
            // refused below
        }
        rc.response().setStatusCode(403).putHeader("Content-Type", "application/json")
                .end("{\"error\":\"a client certificate signed by a CA in FAMFS_TLS_CLIENT_CA is required\"}");
    }

    private static String famfs(String name, Map<String, String> env, Properties sys) {
        String v = sys.getProperty("famfs.tls." + name);
        if (v == null) {
            v = env.get("FAMFS_TLS_" + name.toUpperCase(Locale.ROOT).replace('-', '_'));
        }
        return v == null || v.isBlank() ? null : v.strip();
    }

    /** A Quarkus property as Quarkus would see it: system property, environment, application.properties. */
    private static String quarkus(String name, Map<String, String> env, Properties sys, Properties app, String dflt) {
        String v = sys.getProperty(name);
        if (v == null) {
            v = env.get(name.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_"));
        }
        if (v == null) {
            v = app.getProperty(name);
        }
        return v == null || v.isBlank() ? dflt : v.strip();
    }

    private static boolean keyStoreConfigured(Map<String, String> env, Properties sys, Properties app) {
        for (String p : new String[] {"quarkus.tls.key-store.", "quarkus.http.ssl.certificate.", "quarkus.http.tls-configuration-name"}) {
            if (sys.stringPropertyNames().stream().anyMatch(k -> k.startsWith(p))
                    || app.stringPropertyNames().stream().anyMatch(k -> k.startsWith(p))) {
                return true;
            }
        }
        String[] envPrefixes = {"QUARKUS_TLS_KEY_STORE_", "QUARKUS_HTTP_SSL_CERTIFICATE_", "QUARKUS_HTTP_TLS_CONFIGURATION_NAME"};
        for (String k : env.keySet()) {
            for (String p : envPrefixes) {
                if (k.startsWith(p)) {
                    return true;
                }
            }
        }
        return false;
    }

    static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    private static void certificates(String setting, String file) {
        Path p = Path.of(file);
        try (InputStream in = Files.newInputStream(p)) {
            if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
                throw new FamfsException(setting + ": " + file + " holds no PEM certificate");
            }
        } catch (IOException e) {
            throw new FamfsException(setting + ": cannot read " + file + " (" + e.getClass().getSimpleName().replace("Exception", "") + ")");
        } catch (CertificateException e) {
            throw new FamfsException(setting + ": " + file + " is not a PEM certificate");
        }
    }

    private static void privateKey(String file) {
        String text;
        try {
            text = Files.readString(Path.of(file));
        } catch (java.nio.charset.CharacterCodingException e) {
            text = "";
        } catch (IOException e) {
            throw new FamfsException("FAMFS_TLS_KEY: cannot read " + file + " (" + e.getClass().getSimpleName().replace("Exception", "") + ")");
        }
        if (!text.contains("-----BEGIN") || !text.contains("PRIVATE KEY-----")) {
            throw new FamfsException("FAMFS_TLS_KEY: " + file + " is not a PEM private key");
        }
    }

    private static Properties appProperties() {
        Properties p = new Properties();
        try (InputStream in = ApiTls.class.getClassLoader().getResourceAsStream("application.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // Quarkus reports an unreadable configuration itself
        }
        return p;
    }
}
