package io.famfs.device;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An output stream onto a raw file descriptor that this stream owns (closed by
 * {@link #close}): for descriptors received over a unix socket, which the JDK has no
 * public way to wrap. Unbuffered: wrap it in a buffered writer.
 */
public final class FdOutputStream extends OutputStream {
    private final int fd;
    private boolean closed;

    public FdOutputStream(int fd) {
        this.fd = fd;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (len == 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(len);
            MemorySegment.copy(b, off, buf, ValueLayout.JAVA_BYTE, 0, len);
            Libc.writeFully(fd, buf, len);
        } catch (Libc.NativeException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Libc.close(fd);
        }
    }
}
