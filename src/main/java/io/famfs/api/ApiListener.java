package io.famfs.api;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;

/**
 * Chooses the fleet API's TCP port before Quarkus starts, so that several mounts on one
 * host need no options: the first takes the default port 7373, later ones a free port
 * (each mount records its address in its {@link io.famfs.fuse.MountHome}). A port asked
 * for explicitly ({@code --api-port}, {@code QUARKUS_HTTP_PORT} or the
 * {@code quarkus.http.port} property) is used as given, and if it is taken the server
 * stops with one line naming the port and the option that changes it.
 */
public final class ApiListener {
    public static final int DEFAULT_PORT = 7373;
    public static final String OPTION = "--api-port";

    private ApiListener() {
    }

    /** A reason the server cannot listen, as one line. */
    public static final class PortTaken extends RuntimeException {
        PortTaken(String message) {
            super(message);
        }
    }

    /** Sets {@code quarkus.http.port} for the mount server started with {@code args}. */
    public static int configure(String[] args) {
        String host = setting("quarkus.http.host", "QUARKUS_HTTP_HOST", "127.0.0.1");
        String explicit = argument(args);
        if (explicit == null) {
            explicit = setting("quarkus.http.port", "QUARKUS_HTTP_PORT", null);
        }
        int port;
        if (explicit != null) {
            try {
                port = Integer.parseInt(explicit.strip());
            } catch (NumberFormatException e) {
                throw new PortTaken("API port '" + explicit + "' is not a number (" + OPTION + " PORT, 0 for any free port)");
            }
            if (port < 0 || port > 65535) {
                throw new PortTaken("API port " + port + " is out of range (" + OPTION + " PORT, 0 for any free port)");
            }
            if (port == 0) {
                port = freePort(host);
            } else if (!bindable(host, port)) {
                throw new PortTaken("API port " + port + " on " + host + " is taken (another famfs mount or program);"
                        + " choose another with " + OPTION + " PORT, or " + OPTION + " 0 for any free port");
            }
        } else {
            port = bindable(host, DEFAULT_PORT) ? DEFAULT_PORT : freePort(host);
        }
        System.setProperty("quarkus.http.port", Integer.toString(port));
        return port;
    }

    /** The address a client uses for the API of this process (after {@link #configure}). */
    public static String address() {
        String host = setting("quarkus.http.host", "QUARKUS_HTTP_HOST", "127.0.0.1");
        String port = System.getProperty("quarkus.http.port");
        if (port == null) {
            return "";
        }
        String h = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
        String scheme = "disabled".equals(System.getProperty("quarkus.http.insecure-requests")) ? "https://" : "http://";
        return scheme + (h.contains(":") ? "[" + h + "]" : h) + ":" + port;
    }

    private static String argument(String[] args) {
        List<String> a = List.of(args);
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).equals(OPTION) && i + 1 < a.size()) {
                return a.get(i + 1);
            }
            if (a.get(i).startsWith(OPTION + "=")) {
                return a.get(i).substring(OPTION.length() + 1);
            }
        }
        return null;
    }

    private static String setting(String property, String env, String dflt) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? dflt : v;
    }

    static boolean bindable(String host, int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort(String host) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new PortTaken("cannot find a free API port on " + host + ": " + e.getMessage());
        }
    }
}
