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
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
            privateKey(key, certificates("FAMFS_TLS_CERT", cert).getFirst());
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

    /** The certificates in a PEM file (at least one), or a one-line error. */
    private static List<? extends Certificate> certificates(String setting, String file) {
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            List<? extends Certificate> certs = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
            if (certs.isEmpty()) {
                throw new FamfsException(setting + ": " + file + " holds no PEM certificate");
            }
            return certs;
        } catch (IOException e) {
            throw new FamfsException(setting + ": cannot read " + file + " (" + e.getClass().getSimpleName().replace("Exception", "") + ")");
        } catch (CertificateException e) {
            throw new FamfsException(setting + ": " + file + " is not a PEM certificate");
        }
    }

    private static final Pattern PEM_KEY =
            Pattern.compile("-----BEGIN ([A-Z ]*)PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END \\1PRIVATE KEY-----");

    /** An unencrypted PEM private key; a PKCS#8 one must be the certificate's (checked by signing). */
    private static void privateKey(String file, Certificate cert) {
        String text;
        try {
            text = Files.readString(Path.of(file));
        } catch (java.nio.charset.CharacterCodingException e) {
            text = "";
        } catch (IOException e) {
            throw new FamfsException("FAMFS_TLS_KEY: cannot read " + file + " (" + e.getClass().getSimpleName().replace("Exception", "") + ")");
        }
        Matcher m = PEM_KEY.matcher(text);
        String notAKey = "FAMFS_TLS_KEY: " + file + " is not a PEM private key";
        if (!m.find()) {
            throw new FamfsException(notAKey);
        }
        String kind = m.group(1).strip();
        if (kind.equals("ENCRYPTED")) {
            throw new FamfsException("FAMFS_TLS_KEY: " + file + " is encrypted; give the key unencrypted, in a file only root can read");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(m.group(2).strip());
        } catch (IllegalArgumentException e) {
            throw new FamfsException(notAKey);
        }
        if (der.length < 2 || der[0] != 0x30) {
            throw new FamfsException(notAKey);
        }
        if (!kind.isEmpty()) {
            return; // PKCS#1 (RSA) or SEC1 (EC): the TLS registry reads them itself
        }
        PublicKey pub = cert.getPublicKey();
        String mismatch = "FAMFS_TLS_KEY: " + file + " is not the private key of the certificate in FAMFS_TLS_CERT";
        try {
            PrivateKey key = KeyFactory.getInstance(pub.getAlgorithm()).generatePrivate(new PKCS8EncodedKeySpec(der));
            String alg = switch (pub.getAlgorithm()) {
                case "EC" -> "SHA256withECDSA";
                case "RSA" -> "SHA256withRSA";
                case "Ed25519", "Ed448", "EdDSA" -> pub.getAlgorithm();
                default -> null;
            };
            if (alg == null) {
                return;
            }
            byte[] probe = "famfs".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature sign = Signature.getInstance(alg);
            sign.initSign(key);
            sign.update(probe);
            byte[] sig = sign.sign();
            Signature verify = Signature.getInstance(alg);
            verify.initVerify(pub);
            verify.update(probe);
            if (!verify.verify(sig)) {
                throw new FamfsException(mismatch);
            }
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new FamfsException(mismatch);
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
