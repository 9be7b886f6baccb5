package io.famfs.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * famfs mounts as the kernel lists them in {@code /proc/self/mountinfo}. A mount made by
 * {@code famfs mount} has file-system type {@code fuse.famfs} and its device path as the
 * mount source, which is how the CLI finds the device behind a path in a mount.
 */
public final class MountTable {
    public static final String FSTYPE = "fuse.famfs";

    /** One famfs mount: where it is and which device it serves. */
    public record Mount(Path mountPoint, Path device) {
    }

    private MountTable() {
    }

    public static List<Mount> famfsMounts() {
        List<Mount> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
                String[] f = line.split(" ");
                int dash = List.of(f).indexOf("-");
                if (dash < 0 || dash + 2 >= f.length || !f[dash + 1].equals(FSTYPE)) {
                    continue;
                }
                out.add(new Mount(Path.of(unescape(f[4])), Path.of(unescape(f[dash + 2]))));
            }
        } catch (IOException e) {
            // no /proc: no mounts to find
        }
        return out;
    }

    /**
     * {@code path} as the kernel names it in the mount table: absolute, with its symbolic
     * links resolved (a mount made at, or a file reached through, a symlinked path is
     * listed under the link's target). A path that is itself a famfs mount point is
     * returned as it is, without touching the file system (a server that stopped
     * answering must not hang a caller); one that does not exist yet has its longest
     * existing ancestor resolved and the rest appended. A path with {@code ..} is only
     * normalised (commands refuse such paths).
     */
    public static Path canonical(Path path) {
        for (Path p : path) {
            if (p.toString().equals("..")) {
                return path.toAbsolutePath().normalize();
            }
        }
        Path abs = path.toAbsolutePath().normalize();
        for (Mount m : famfsMounts()) {
            if (m.mountPoint().equals(abs)) {
                return abs;
            }
        }
        Path head = abs;
        Path tail = null;
        while (head != null) {
            try {
                Path real = head.toRealPath();
                return tail == null ? real : real.resolve(tail);
            } catch (IOException | SecurityException e) {
                Path name = head.getFileName();
                if (name == null) {
                    return abs;
                }
                tail = tail == null ? name : name.resolve(tail);
                head = head.getParent();
            }
        }
        return abs;
    }

    /** The famfs mount holding {@code path} (deepest mount first), if any. */
    public static Optional<Mount> containing(Path path) {
        Path abs = canonical(path);
        Mount best = null;
        for (Mount m : famfsMounts()) {
            if (abs.startsWith(m.mountPoint())
                    && (best == null || m.mountPoint().getNameCount() > best.mountPoint().getNameCount())) {
                best = m;
            }
        }
        return Optional.ofNullable(best);
    }

    public static boolean isMounted(Path mountPoint) {
        Path abs = canonical(mountPoint);
        return famfsMounts().stream().anyMatch(m -> m.mountPoint().equals(abs));
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                try {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                    // not an escape
                }
            }
            b.append(c);
        }
        return b.toString();
    }
}
