package io.famfs.fuse;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Upstream famfs_fused's local REST socket, {@code SHADOW/sock} (../shared/CLI.md,
 * "famfs_fused"): HTTP/1.1 on a unix stream socket, one request per connection, every
 * reply with {@code Connection: close}:
 * <pre>
 *   /pid            any        200 text/yaml   pid: N
 *   /icache_stats   any        200 text/yaml   icache_stats: search_count, nodes_scanned, search_fail_ct
 *   /icache_dump    any        200 text/yaml   icache: dumping icache to syslog   (the dump goes to the log)
 *   /inodes         any        200 text/yaml   fixed placeholder, as upstream
 *   /log_level      GET        200 text/plain  N (syslog level 0-7, default 5)
 *                   POST, PUT  200 text/plain  log level set to N (from M) | Failed to set log level to N
 *                   other      405 Method Not Allowed
 *   other                      404 Not Found;  unparsable request 400 Bad Request
 * </pre>
 * The socket is 0666 as every socket in a mount's home; each request is authorised by
 * the caller's SO_PEERCRED: root or the server's own user are served, anyone else gets
 * 403 Forbidden (the only things it offers are this server's own state and log level).
 */
final class ShadowRest implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ShadowRest.class.getName());
    private static final int MAX_REQUEST = 16384;
    static final int DEFAULT_LOG_LEVEL = 5;

    private final MountedFs fs;
    private final Path socket;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final ScheduledExecutorService timer;
    private final String ownUser = System.getProperty("user.name");
    private final AtomicInteger logLevel = new AtomicInteger(DEFAULT_LOG_LEVEL);
    private final AtomicLong searches = new AtomicLong();
    private final AtomicLong scanned = new AtomicLong();
    private volatile boolean running = true;

    private ShadowRest(MountedFs fs, Path socket, ServerSocketChannel server) {
        this.fs = fs;
        this.socket = socket;
        this.server = server;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
                .name("famfs-shadow-rest-timer").unstarted(r));
        this.acceptor = Thread.ofPlatform().daemon().name("famfs-shadow-rest").unstarted(this::acceptLoop);
    }

    /** Listens at {@code socket} (a stale socket there is replaced). */
    static ShadowRest start(MountedFs fs, Path socket) {
        try {
            Files.deleteIfExists(socket);
            ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            ch.bind(UnixDomainSocketAddress.of(socket), 64);
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
            ShadowRest r = new ShadowRest(fs, socket, ch);
            r.acceptor.start();
            return r;
        } catch (IOException | RuntimeException e) {
            throw new io.famfs.FamfsException("cannot start the shadow REST socket at " + socket + ": " + e.getMessage());
        }
    }

    Path socket() {
        return socket;
    }

    int logLevel() {
        return logLevel.get();
    }

    private void acceptLoop() {
        while (running) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                if (running) {
                    LOG.warning("shadow REST socket: accept failed: " + e.getMessage());
                }
                return;
            }
            // a client that sends nothing must not hold its thread for ever
            var watchdog = timer.schedule(() -> closeQuietly(c), 10, TimeUnit.SECONDS);
            Thread.ofVirtual().name("famfs-shadow-rest-conn").start(() -> {
                try {
                    serve(c);
                } finally {
                    watchdog.cancel(false);
                    closeQuietly(c);
                }
            });
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // gone
        }
    }

    record Reply(int status, String reason, String type, String body) {
    }

    private void serve(SocketChannel c) {
        try {
            // read the request first, also to refuse it: closing a unix socket with unread
            // bytes resets the connection, and the caller would never see the answer
            String request = read(c);
            Reply r = authorised(c) ? answer(request) : new Reply(403, "Forbidden", "text/plain", "Forbidden");
            byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
            String head = "HTTP/1.1 " + r.status() + " " + r.reason() + "\r\nContent-Type: " + r.type()
                    + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
            ByteBuffer out = ByteBuffer.allocate(head.length() + body.length);
            out.put(head.getBytes(StandardCharsets.US_ASCII)).put(body).flip();
            while (out.hasRemaining()) {
                c.write(out);
            }
        } catch (IOException | RuntimeException e) {
            // the client went away
        }
    }

    private boolean authorised(SocketChannel c) throws IOException {
        var principal = c.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED);
        String user = principal.user().getName();
        return user.equals("root") || user.equals("0") || user.equals(ownUser);
    }

    /** The request bytes: headers, then Content-Length bytes of body; null when malformed or too long. */
    private static String read(SocketChannel c) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(MAX_REQUEST);
        int headerEnd = -1;
        while (buf.hasRemaining()) {
            if (c.read(buf) < 0) {
                break;
            }
            String sofar = new String(buf.array(), 0, buf.position(), StandardCharsets.ISO_8859_1);
            headerEnd = sofar.indexOf("\r\n\r\n");
            if (headerEnd >= 0) {
                int length = contentLength(sofar.substring(0, headerEnd));
                if (length < 0 || headerEnd + 4 + length > MAX_REQUEST) {
                    return null;
                }
                while (buf.position() < headerEnd + 4 + length) {
                    if (c.read(buf) < 0) {
                        break;
                    }
                }
                return new String(buf.array(), 0, buf.position(), StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().equalsIgnoreCase("content-length")) {
                try {
                    return Integer.parseInt(line.substring(colon + 1).strip());
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return 0;
    }

    /** The reply to one request (null: it could not be read or parsed). */
    Reply answer(String request) {
        if (request == null) {
            return bad();
        }
        int headerEnd = request.indexOf("\r\n\r\n");
        int eol = request.indexOf("\r\n");
        if (headerEnd < 0 || eol < 0) {
            return bad();
        }
        String[] first = request.substring(0, eol).split(" ", -1);
        if (first.length != 3 || first[0].isEmpty() || !first[0].chars().allMatch(ch -> ch >= 'A' && ch <= 'Z')
                || !first[1].startsWith("/") || !first[2].matches("HTTP/1\\.[01]")) {
            return bad();
        }
        String method = first[0];
        String uri = first[1];
        String body = request.substring(headerEnd + 4);
        searches.incrementAndGet();
        return switch (uri) {
            case "/pid" -> yaml("pid: " + ProcessHandle.current().pid() + "\n");
            case "/icache_stats" -> yaml("icache_stats:\n  search_count:   " + searches.get() + "\n  nodes_scanned:  "
                    + scanned.get() + "\n  search_fail_ct: 0\n");
            case "/icache_dump" -> {
                LOG.info("icache: " + fs.namespace().fileCount() + " files, " + fs.namespace().dirCount()
                        + " directories, log index " + fs.appliedIndex());
                yield yaml("icache: dumping icache to syslog\n");
            }
            case "/inodes" -> yaml("inodes:\n  total: 1500\n  open: 12\n  deleted: 7\n");
            case "/log_level" -> logLevel(method, body);
            default -> new Reply(404, "Not Found", "text/plain", "Not Found");
        };
    }

    private Reply logLevel(String method, String body) {
        switch (method) {
            case "GET" -> {
                return text(logLevel.get() + "\n");
            }
            case "POST", "PUT" -> {
                int n = atoi(body);
                if (n < 0 || n > 7) {
                    return text("Failed to set log level to " + n + "\n");
                }
                int old = logLevel.getAndSet(n);
                return text("log level set to " + n + " (from " + old + ")\n");
            }
            default -> {
                return new Reply(405, "Method Not Allowed", "text/plain", "Method Not Allowed");
            }
        }
    }

    /** C's atoi: leading blanks, a sign, digits; anything else ends the number ("level=3" is 0). */
    static int atoi(String s) {
        int i = 0;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        boolean neg = false;
        if (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
            neg = s.charAt(i) == '-';
            i++;
        }
        long v = 0;
        while (i < s.length() && Character.isDigit(s.charAt(i)) && v < Integer.MAX_VALUE) {
            v = v * 10 + (s.charAt(i) - '0');
            i++;
        }
        v = neg ? -v : v;
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
    }

    private static Reply yaml(String body) {
        return new Reply(200, "OK", "text/yaml", body);
    }

    private static Reply text(String body) {
        return new Reply(200, "OK", "text/plain", body);
    }

    private static Reply bad() {
        return new Reply(400, "Bad Request", "text/plain", "Bad Request");
    }

    @Override
    public void close() {
        running = false;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        timer.shutdownNow();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            // the home goes away with it
        }
    }
}
