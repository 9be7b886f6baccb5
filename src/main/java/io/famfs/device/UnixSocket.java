package io.famfs.device;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Unix-domain SOCK_SEQPACKET sockets through libc, for what the JDK's channels cannot do:
 * pass a descriptor (SCM_RIGHTS) and learn the peer's credentials (SO_PEERCRED). One
 * message per send and per receive, boundaries kept. Layouts (x86-64 Linux):
 * <pre>
 *   sockaddr_un   0 sun_family u16 | 2 sun_path[108]                        (110 bytes)
 *   iovec         0 iov_base ptr   | 8 iov_len u64                           (16)
 *   msghdr        0 msg_name ptr   | 8 msg_namelen u32 (+4) | 16 msg_iov ptr
 *                24 msg_iovlen u64 |32 msg_control ptr      | 40 msg_controllen u64
 *                48 msg_flags i32 (+4)                                       (56)
 *   cmsghdr       0 cmsg_len u64   | 8 cmsg_level i32 | 12 cmsg_type i32 | 16 data
 *                 one descriptor: CMSG_LEN = 20, CMSG_SPACE = 24
 *   ucred         0 pid i32 | 4 uid i32 | 8 gid i32                          (12)
 * </pre>
 */
public final class UnixSocket implements AutoCloseable {
    static final int AF_UNIX = 1;
    static final int SOCK_SEQPACKET = 5;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SCM_RIGHTS = 1;
    static final int SO_PEERCRED = 17;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;
    static final int MSG_CTRUNC = 0x8;
    static final int SUN_PATH = 108;
    static final int MSGHDR = 56;
    static final int CMSG_SPACE_FD = 24;
    static final int CMSG_LEN_FD = 20;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    private static final java.lang.foreign.AddressLayout A = ValueLayout.ADDRESS;

    private static final MethodHandle SOCKET = bind("socket", FunctionDescriptor.of(I, I, I, I));
    private static final MethodHandle BIND = bind("bind", FunctionDescriptor.of(I, I, A, I));
    private static final MethodHandle LISTEN = bind("listen", FunctionDescriptor.of(I, I, I));
    private static final MethodHandle ACCEPT = bind("accept4", FunctionDescriptor.of(I, I, A, A, I));
    private static final MethodHandle CONNECT = bind("connect", FunctionDescriptor.of(I, I, A, I));
    private static final MethodHandle SENDMSG = bind("sendmsg", FunctionDescriptor.of(L, I, A, I));
    private static final MethodHandle RECVMSG = bind("recvmsg", FunctionDescriptor.of(L, I, A, I));
    private static final MethodHandle GETSOCKOPT = bind("getsockopt", FunctionDescriptor.of(I, I, I, I, A, A));
    private static final MethodHandle SHUTDOWN = bind("shutdown", FunctionDescriptor.of(I, I, I));
    private static final MethodHandle SETSOCKOPT = bind("setsockopt", FunctionDescriptor.of(I, I, I, I, A, I));
    static final int SO_RCVTIMEO = 20;
    /** At most this many descriptors come with one message (room in the control buffer). */
    public static final int MAX_FDS = 4;

    private static MethodHandle bind(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), d, Linker.Option.captureCallState("errno"));
    }

    private final int fd;
    private volatile boolean closed;

    private UnixSocket(int fd) {
        this.fd = fd;
    }

    /** The peer's credentials. */
    public record Peer(int pid, int uid, int gid) {
    }

    /** A received message and the descriptors that came with it (in the order sent). */
    public record Message(byte[] data, int[] fds) {
        public String text() {
            return new String(data, StandardCharsets.UTF_8);
        }

        /** The first descriptor that came with it, or -1. */
        public int fd() {
            return fds.length > 0 ? fds[0] : -1;
        }

        /** Closes every descriptor that came with it. */
        public void closeFds() {
            for (int f : fds) {
                Libc.close(f);
            }
        }
    }

    private static Libc.NativeException fail(String op, MemorySegment state) {
        return new Libc.NativeException(op, (int) ERRNO.get(state, 0L));
    }

    private static MemorySegment address(Arena arena, Path path) {
        byte[] p = path.toString().getBytes(StandardCharsets.UTF_8);
        if (p.length >= SUN_PATH) {
            throw new IllegalArgumentException(path + ": socket path longer than " + (SUN_PATH - 1) + " bytes");
        }
        MemorySegment sa = arena.allocate(2 + SUN_PATH);
        sa.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(p, 0, sa, ValueLayout.JAVA_BYTE, 2, p.length);
        return sa;
    }

    private static int newSocket(Arena arena, MemorySegment state) throws Throwable {
        int s = (int) SOCKET.invokeExact(state, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (s < 0) {
            throw fail("socket", state);
        }
        return s;
    }

    /** Listens at {@code path} (which must not exist). */
    public static UnixSocket listen(Path path, int backlog) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int s = newSocket(arena, state);
            MemorySegment sa = address(arena, path);
            if ((int) BIND.invokeExact(state, s, sa, (int) sa.byteSize()) != 0) {
                Libc.close(s);
                throw fail("bind " + path, state);
            }
            if ((int) LISTEN.invokeExact(state, s, backlog) != 0) {
                Libc.close(s);
                throw fail("listen " + path, state);
            }
            return new UnixSocket(s);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static UnixSocket connect(Path path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int s = newSocket(arena, state);
            MemorySegment sa = address(arena, path);
            if ((int) CONNECT.invokeExact(state, s, sa, (int) sa.byteSize()) != 0) {
                Libc.NativeException e = fail("connect " + path, state);
                Libc.close(s);
                throw e;
            }
            return new UnixSocket(s);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Waits for a connection; throws once the socket is closed. */
    public UnixSocket accept() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            while (true) {
                int c = (int) ACCEPT.invokeExact(state, fd, MemorySegment.NULL, MemorySegment.NULL, SOCK_CLOEXEC);
                if (c >= 0) {
                    return new UnixSocket(c);
                }
                int errno = (int) ERRNO.get(state, 0L);
                if (errno != 4 || closed) { // EINTR: again
                    throw new Libc.NativeException("accept", errno);
                }
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public Peer peer() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment cred = arena.allocate(12);
            MemorySegment len = arena.allocate(I);
            len.set(I, 0, 12);
            if ((int) GETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_PEERCRED, cred, len) != 0) {
                throw fail("getsockopt SO_PEERCRED", state);
            }
            return new Peer(cred.get(I, 0), cred.get(I, 4), cred.get(I, 8));
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sends one message, with descriptor {@code passFd} attached unless it is negative. */
    public void send(byte[] data, int passFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment buf = arena.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buf, ValueLayout.JAVA_BYTE, 0, data.length);
            MemorySegment iov = arena.allocate(16, 8);
            iov.set(A, 0, buf);
            iov.set(L, 8, data.length);
            MemorySegment msg = arena.allocate(MSGHDR, 8);
            msg.set(A, 16, iov);
            msg.set(L, 24, 1);
            if (passFd >= 0) {
                MemorySegment cmsg = arena.allocate(CMSG_SPACE_FD, 8);
                cmsg.set(L, 0, CMSG_LEN_FD);
                cmsg.set(I, 8, SOL_SOCKET);
                cmsg.set(I, 12, SCM_RIGHTS);
                cmsg.set(I, 16, passFd);
                msg.set(A, 32, cmsg);
                msg.set(L, 40, CMSG_SPACE_FD);
            }
            long n = (long) SENDMSG.invokeExact(state, fd, msg, 0x4000); // MSG_NOSIGNAL
            if (n < 0) {
                throw fail("sendmsg", state);
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Makes a blocked {@link #receive} give up after {@code millis} (it then throws with
     * errno EAGAIN), so a peer that connects and says nothing cannot hold a thread.
     */
    public void receiveTimeout(long millis) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment tv = arena.allocate(16, 8);
            tv.set(L, 0, millis / 1000);
            tv.set(L, 8, (millis % 1000) * 1000);
            if ((int) SETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16) != 0) {
                throw fail("setsockopt SO_RCVTIMEO", state);
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Receives one message of at most {@code max} bytes, and the descriptors that came with
     * it (at most {@link #MAX_FDS}; a message with more is refused and its descriptors closed).
     */
    public Message receive(int max) {
        int cmsgSpace = 16 + 8 * ((MAX_FDS * 4 + 7) / 8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment buf = arena.allocate(max);
            MemorySegment iov = arena.allocate(16, 8);
            iov.set(A, 0, buf);
            iov.set(L, 8, max);
            MemorySegment cmsg = arena.allocate(cmsgSpace, 8);
            MemorySegment msg = arena.allocate(MSGHDR, 8);
            msg.set(A, 16, iov);
            msg.set(L, 24, 1);
            msg.set(A, 32, cmsg);
            msg.set(L, 40, cmsgSpace);
            long n;
            while (true) {
                n = (long) RECVMSG.invokeExact(state, fd, msg, MSG_CMSG_CLOEXEC);
                if (n >= 0 || (int) ERRNO.get(state, 0L) != 4) {
                    break;
                }
            }
            if (n < 0) {
                throw fail("recvmsg", state);
            }
            int[] passed = new int[0];
            long controlLen = msg.get(L, 40);
            if (controlLen >= 16 && cmsg.get(I, 8) == SOL_SOCKET && cmsg.get(I, 12) == SCM_RIGHTS) {
                int count = (int) ((cmsg.get(L, 0) - 16) / 4);
                passed = new int[Math.max(0, Math.min(count, MAX_FDS))];
                for (int i = 0; i < passed.length; i++) {
                    passed[i] = cmsg.get(I, 16 + 4L * i);
                }
            }
            if ((msg.get(I, 48) & MSG_CTRUNC) != 0) {
                for (int f : passed) {
                    Libc.close(f);
                }
                throw new Libc.NativeException("recvmsg: too many descriptors", 7); // E2BIG
            }
            return new Message(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), passed);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) SHUTDOWN.invokeExact(arena.allocate(CALL_STATE), fd, 2); // wakes a blocked accept
        } catch (Throwable t) {
            // closing anyway
        }
        Libc.close(fd);
    }

    /**
     * A listening socket that anyone on the host may connect to (mode 0666: who may have
     * what is decided per request, from {@link #peer()}), serving each connection on its
     * own daemon thread; the connection is closed when the handler returns. The mount's
     * endpoints (broker.sock, cli.sock) are these.
     */
    public static final class Server implements AutoCloseable {
        private static final Logger LOG = Logger.getLogger(Server.class.getName());
        private final Path path;
        private final String name;
        private final UnixSocket listener;
        private final Consumer<UnixSocket> handler;
        private volatile boolean running = true;

        private Server(Path path, String name, UnixSocket listener, Consumer<UnixSocket> handler) {
            this.path = path;
            this.name = name;
            this.listener = listener;
            this.handler = handler;
        }

        /**
         * Listens at {@code path} (a stale socket there is replaced) and starts accepting.
         * Throws {@link java.io.IOException} or a runtime exception when it cannot listen.
         */
        public static Server start(Path path, String name, Consumer<UnixSocket> handler)
                throws IOException {
            Files.deleteIfExists(path);
            UnixSocket l = listen(path, 64);
            try {
                Files.setPosixFilePermissions(path,
                        PosixFilePermissions.fromString("rw-rw-rw-"));
            } catch (IOException | RuntimeException e) {
                l.close();
                Files.deleteIfExists(path);
                throw e;
            }
            Server s = new Server(path, name, l, handler);
            Thread.ofPlatform().daemon().name("famfs-" + name).start(s::acceptLoop);
            return s;
        }

        public Path path() {
            return path;
        }

        private void acceptLoop() {
            while (running) {
                UnixSocket conn;
                try {
                    conn = listener.accept();
                } catch (RuntimeException e) {
                    if (running) {
                        LOG.warning(name + ": accept failed: " + e.getMessage());
                    }
                    return;
                }
                Thread.ofPlatform().daemon().name("famfs-" + name + "-conn").start(() -> {
                    try (conn) {
                        handler.accept(conn);
                    } catch (RuntimeException e) {
                        LOG.fine(name + ": " + e.getMessage());
                    }
                });
            }
        }

        /** Stops accepting and removes the socket; connections being served finish. */
        @Override
        public void close() {
            running = false;
            listener.close();
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                // the mount's home is removed with it anyway
            }
        }
    }
}
