package io.famfs.namespace;

import io.famfs.format.LogEntry;

import java.nio.charset.StandardCharsets;

/**
 * What a path inside a famfs may look like, checked when an entry is appended and again
 * when it is replayed (a log written by another implementation may hold anything):
 * relative, no empty, "." or ".." components, no NUL, at most 79 bytes (the 80-byte
 * field keeps a terminating NUL). Upstream replays ".." blindly; we refuse it, because a
 * log entry must never name a file outside the file system.
 */
public final class PathRules {
    private PathRules() {
    }

    /** Null when {@code path} is acceptable, else a short reason. */
    public static String problem(String path) {
        if (path == null || path.isEmpty()) {
            return "empty path";
        }
        if (path.indexOf('\0') >= 0) {
            return "path contains a NUL byte";
        }
        if (path.startsWith("/")) {
            return "path is absolute (must be relative to the file system root)";
        }
        int bytes = path.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > LogEntry.MAX_PATH_BYTES) {
            return "path is " + bytes + " bytes long (at most " + LogEntry.MAX_PATH_BYTES + ")";
        }
        for (String component : path.split("/", -1)) {
            if (component.isEmpty()) {
                return "path has an empty component";
            }
            if (component.equals(".") || component.equals("..")) {
                return "path has a '" + component + "' component";
            }
        }
        return null;
    }

    /** The mount's own metadata directory at the root: no logged entry may take its name. */
    public static final String RESERVED_ROOT_NAME = ".meta";

    /**
     * Null when a new entry may be logged at {@code path}: {@link #problem} and, in
     * addition, not {@code .meta} or anything under it (the mount's own metadata directory
     * would hide the entry, and famfs has no rm to take it back).
     */
    public static String newPathProblem(String path) {
        String problem = problem(path);
        if (problem != null) {
            return problem;
        }
        if (path.equals(RESERVED_ROOT_NAME) || path.startsWith(RESERVED_ROOT_NAME + "/")) {
            return "'" + RESERVED_ROOT_NAME + "' is reserved for the mount's metadata files";
        }
        return null;
    }

    /**
     * {@code path} for a one-line message: control characters (a log may name a file
     * with a newline in it) are shown as {@code \xNN}.
     */
    public static String printable(String path) {
        StringBuilder b = new StringBuilder(path.length());
        for (char c : path.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Strips redundant leading "./" and trailing "/" a user might type; does not resolve "..". */
    public static String tidy(String userPath) {
        String p = userPath;
        while (p.startsWith("./")) {
            p = p.substring(2);
        }
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    public static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    public static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
