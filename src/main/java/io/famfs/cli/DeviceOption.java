package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.fuse.MountTable;
import io.famfs.log.Famfs;
import io.famfs.namespace.PathRules;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a command's paths live. Either {@code --device DEV} (paths relative to the file
 * system root, a leading '/' meaning the root), or, as upstream, paths inside a famfs
 * mount ({@code famfs creat -s 1g /mnt/famfs/x}): the device is then the mount's
 * source. After a change through a mount, {@link #refreshMount} makes the mount replay
 * at once, so the new file is visible there when the command returns.
 */
public class DeviceOption {
    @Option(names = "--device", paramLabel = "DEV",
            description = "famfs memory device or image to operate on (paths are relative to its root)")
    Path device;

    /** Set when the paths were found inside a mount. */
    private Path mountPoint;

    /** The root-relative form of a user path ("" is the root). */
    public String relative(String userPath) {
        if (device != null && mountPoint == null) {
            return rootRelative(userPath);
        }
        Path abs = MountTable.canonical(Path.of(userPath));
        MountTable.Mount mount = MountTable.containing(abs).orElseThrow(() -> new FamfsException(
                userPath + ": not in a famfs mount (or name the device with --device DEV)"));
        if (mountPoint != null && !mountPoint.equals(mount.mountPoint())) {
            throw new FamfsException(userPath + ": not in the same famfs mount as " + mountPoint);
        }
        mountPoint = mount.mountPoint();
        device = mount.device();
        return PathRules.tidy(mount.mountPoint().relativize(abs).toString());
    }

    static String rootRelative(String userPath) {
        String p = userPath;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        p = PathRules.tidy(p);
        return p.equals(".") ? "" : p;
    }

    /** Opens the device (given, or found from a mount path by {@link #relative}). */
    public Famfs open(boolean writable) {
        if (device == null) {
            throw new FamfsException("no --device given: name the famfs device, or use paths inside a famfs mount");
        }
        Famfs fs = Famfs.open(device, writable);
        if (mountPoint != null) {
            try {
                requireServing(mountPoint, fs);
            } catch (RuntimeException e) {
                fs.close();
                throw e;
            }
        }
        return fs;
    }

    /**
     * Refuses to work through a mount that is down or that serves another file system
     * than the device now holds (re-made under it): its tree would name other files' space.
     */
    static void requireServing(Path mountPoint, Famfs fs) {
        String state = xattr(mountPoint, "famfs.state");
        String uuid = xattr(mountPoint, "famfs.fsuuid");
        if (state != null && !state.equals("ok")) {
            throw new FamfsException(mountPoint + ": the mount is " + state + " (unmount it and mount again)");
        }
        if (uuid != null && !uuid.equals(fs.superblock().fsUuid().toString())) {
            throw new FamfsException(mountPoint + ": the mount serves file system " + uuid + " but " + fs.device().path()
                    + " now holds " + fs.superblock().fsUuid() + " (re-made under the mount; unmount it and mount again)");
        }
    }

    /** A user.* attribute of a path, or null when it has none. */
    static String xattr(Path path, String name) {
        try {
            var view = Files.getFileAttributeView(path, java.nio.file.attribute.UserDefinedFileAttributeView.class);
            if (view == null) {
                return null;
            }
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(view.size(name));
            view.read(name, buf);
            return new String(buf.array(), 0, buf.position(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /** Makes the mount (if the paths were in one) apply new log entries now. */
    public String refreshMount() {
        if (mountPoint == null) {
            return null;
        }
        return readLogplay(mountPoint);
    }

    /** Reading {@code .meta/.logplay} replays the mount's log and returns what it did. */
    static String readLogplay(Path mountPoint) {
        // read until EOF: the file's size is 0 (its content is made by the read), so
        // size-driven shortcuts such as InputStream.readAllBytes on a channel return nothing
        try (InputStream in = Files.newInputStream(mountPoint.resolve(".meta/.logplay"))) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
            }
            return out.toString();
        } catch (IOException e) {
            throw new FamfsException(mountPoint + ": cannot ask the mount to replay: " + e.getMessage());
        }
    }
}
