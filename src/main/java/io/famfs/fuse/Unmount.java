package io.famfs.fuse;

import io.famfs.FamfsException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** {@code fusermount -u -z}: what both {@code famfs umount} and the server's shutdown use. */
public final class Unmount {
    private Unmount() {
    }

    public static void run(Path mountPoint) {
        try {
            // fusermount refuses a symlink to the mount point (EINVAL): name it as the kernel does
            Process p = new ProcessBuilder("fusermount", "-u", "-z", MountTable.canonical(mountPoint).toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new FamfsException("cannot unmount " + mountPoint + (out.isEmpty() ? "" : ": " + out));
            }
        } catch (IOException e) {
            throw new FamfsException("cannot run fusermount (install Debian 'fuse'): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FamfsException("interrupted while unmounting " + mountPoint);
        }
    }
}
