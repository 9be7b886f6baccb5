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

/**
 * The few libc calls the JDK does not offer, bound through the FFM API: {@code open} and
 * {@code mmap} (FileChannel.map cannot map a char device such as /dev/dax0.0, which
 * reports size 0), {@code msync}, {@code flock}. Every call captures errno so failures
 * turn into readable {@link NativeException}s.
 */
public final class Libc {
    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_CLOEXEC = 0x80000;
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 1;
    public static final int MAP_PRIVATE = 2;
    public static final int MAP_FIXED = 0x10;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int PROT_NONE = 0;
    public static final int MS_SYNC = 4;
    public static final int MADV_POPULATE_READ = 22;
    public static final int MADV_POPULATE_WRITE = 23;
    public static final int LOCK_EX = 2;
    public static final int LOCK_NB = 4;
    public static final int LOCK_UN = 8;
    public static final int EACCES = 13;
    public static final int ENOENT = 2;
    public static final int EPERM = 1;
    public static final int EWOULDBLOCK = 11;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    // Each call is bound on first use (holder classes): linking a native call spins code,
    // several milliseconds each, and a short command needs only a few of them.
    private static final class Open {
        static final MethodHandle H = bind("open", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
    }
    private static final class Close {
        static final MethodHandle H = bind("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }
    private static final class Mmap {
        static final MethodHandle H = bind("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    }
    private static final class Munmap {
        static final MethodHandle H = bind("munmap", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }
    private static final class Msync {
        static final MethodHandle H = bind("msync", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    }
    private static final class Madvise {
        static final MethodHandle H = bind("madvise", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    }
    private static final class Flock {
        static final MethodHandle H = bind("flock", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }
    private static final class Write {
        static final MethodHandle H = bind("write", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }
    private static final class Dup {
        static final MethodHandle H = bind("fcntl", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
    }
    private static final class Strerror {
        static final MethodHandle H = LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    }

    private static final long MAP_FAILED = -1L;

    private Libc() {
    }

    private static MethodHandle bind(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = CAPTURE_ERRNO;
        System.arraycopy(extra, 0, options, 1, extra.length);
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), descriptor, options);
    }

    /** A failed libc call: the operation, the errno and its text. */
    public static final class NativeException extends RuntimeException {
        private final int errno;

        NativeException(String operation, int errno) {
            super(operation + ": " + strerror(errno));
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }

    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) Strerror.H.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    public static int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = (int) Open.H.invokeExact(state, arena.allocateFrom(path), flags | O_CLOEXEC, 0);
            if (fd < 0) {
                throw new NativeException("open " + path, errno(state));
            }
            return fd;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static void close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) Close.H.invokeExact(arena.allocate(CALL_STATE), fd);
            if (rc != 0) {
                // close errors on a mapped device carry no data loss for us; ignore
                return;
            }
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Maps {@code length} bytes of {@code fd} shared; returns the raw address. */
    public static long mmap(int fd, long length, boolean writable) {
        return mmap(0, length, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    }

    /** A copy of descriptor {@code fd}, close-on-exec (fcntl F_DUPFD_CLOEXEC). */
    public static int dup(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int c = (int) Dup.H.invokeExact(state, fd, 1030, 0); // F_DUPFD_CLOEXEC
            if (c < 0) {
                throw new NativeException("dup", errno(state));
            }
            return c;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** write(2) of all {@code length} bytes of {@code buf} (retried on EINTR and short writes). */
    public static void writeFully(int fd, MemorySegment buf, long length) {
        long done = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            while (done < length) {
                long n = (long) Write.H.invokeExact(state, fd, buf.asSlice(done), length - done);
                if (n < 0) {
                    int errno = errno(state);
                    if (errno == 4) { // EINTR
                        continue;
                    }
                    throw new NativeException("write", errno);
                }
                done += n;
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** mmap(2) in full: {@code address} is a hint, or the exact place with MAP_FIXED. */
    public static long mmap(long address, long length, int prot, int flags, int fd, long offset) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment addr = (MemorySegment) Mmap.H.invokeExact(state, MemorySegment.ofAddress(address), length, prot,
                    flags, fd, offset);
            if (addr.address() == MAP_FAILED) {
                throw new NativeException("mmap", errno(state));
            }
            return addr.address();
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static void munmap(long address, long length) {
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) Munmap.H.invokeExact(arena.allocate(CALL_STATE), MemorySegment.ofAddress(address), length);
            if (rc != 0) {
                throw new IllegalStateException("munmap failed");
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** msync(MS_SYNC) on a page-aligned range. */
    public static void msync(long address, long length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) Msync.H.invokeExact(state, MemorySegment.ofAddress(address), length, MS_SYNC);
            if (rc != 0) {
                throw new NativeException("msync", errno(state));
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** madvise(2); returns false when the kernel refused the advice (it is only advice). */
    public static boolean madvise(long address, long length, int advice) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Madvise.H.invokeExact(arena.allocate(CALL_STATE), MemorySegment.ofAddress(address), length, advice) == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /** flock(2); returns false only when LOCK_NB was asked and the lock is held elsewhere. */
    public static boolean flock(int fd, int operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            while (true) {
                int rc = (int) Flock.H.invokeExact(state, fd, operation);
                if (rc == 0) {
                    return true;
                }
                int err = errno(state);
                if (err == 4) { // EINTR: retry
                    continue;
                }
                if (err == EWOULDBLOCK && (operation & LOCK_NB) != 0) {
                    return false;
                }
                throw new NativeException("flock", err);
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
