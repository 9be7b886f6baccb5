package io.famfs.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The caller's uid, gid and umask, which upstream uses as defaults for new files. */
public record ProcessIdentity(int uid, int gid, int umask) {
    /** The caller of a command that the mount server runs for it ({@link CommandServer}). */
    static final ScopedValue<ProcessIdentity> FORWARDED = ScopedValue.newInstance();

    /** Who runs the command: this process, or the caller a forwarded command runs for. */
    public static ProcessIdentity current() {
        if (FORWARDED.isBound()) {
            return FORWARDED.get();
        }
        int uid = 0;
        int gid = 0;
        int umask = 022;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    uid = Integer.parseInt(line.split("\\s+")[2]); // effective uid
                } else if (line.startsWith("Gid:")) {
                    gid = Integer.parseInt(line.split("\\s+")[2]);
                } else if (line.startsWith("Umask:")) {
                    umask = Integer.parseInt(line.split("\\s+")[1], 8);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux /proc: keep root-like defaults
        }
        return new ProcessIdentity(uid, gid, umask);
    }
}
