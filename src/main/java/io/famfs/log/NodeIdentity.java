package io.famfs.log;

import io.famfs.FamfsException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;

/**
 * This node's system UUID, which decides its role. As upstream: the text UUID in
 * {@code /opt/famfs/system_uuid}, created (0444, 36 characters and a NUL) with a fresh
 * random UUID when missing.
 *
 * <p>Overrides, so several "nodes" can run on one machine (tests, simulation): the
 * environment variable or system property {@code FAMFS_SYSTEM_UUID} gives the UUID
 * itself; {@code FAMFS_SYSTEM_UUID_FILE} names another file, with the same create-if-
 * missing behaviour.
 */
public final class NodeIdentity {
    public static final Path DEFAULT_FILE = Path.of("/opt/famfs/system_uuid");
    public static final String UUID_VARIABLE = "FAMFS_SYSTEM_UUID";
    public static final String FILE_VARIABLE = "FAMFS_SYSTEM_UUID_FILE";

    private NodeIdentity() {
    }

    public static UUID systemUuid() {
        String direct = setting(UUID_VARIABLE);
        if (direct != null) {
            return parse(direct, UUID_VARIABLE);
        }
        String file = setting(FILE_VARIABLE);
        return fromFile(file != null ? Path.of(file) : DEFAULT_FILE);
    }

    private static String setting(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            value = System.getenv(name);
        }
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** Reads the UUID from {@code file}, creating the file with a random UUID if missing. */
    public static UUID fromFile(Path file) {
        try {
            if (!Files.exists(file)) {
                UUID fresh = UUID.randomUUID();
                Files.createDirectories(file.toAbsolutePath().getParent());
                Path tmp = file.resolveSibling(file.getFileName() + ".tmp" + ProcessHandle.current().pid());
                Files.write(tmp, (fresh + "\0").getBytes(StandardCharsets.US_ASCII));
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r--r--r--"));
                try {
                    // atomic: two first-time callers must not end up with different identities
                    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException raced) {
                    Files.deleteIfExists(tmp);
                }
            }
            String text = new String(Files.readAllBytes(file), StandardCharsets.US_ASCII);
            return parse(text.length() >= 36 ? text.substring(0, 36) : text, file.toString());
        } catch (IOException e) {
            throw new FamfsException("cannot read or create the system UUID file " + file + ": " + e.getMessage());
        }
    }

    private static UUID parse(String text, String source) {
        try {
            String t = text.trim().replace("\0", "");
            if (t.length() != 36) {
                throw new IllegalArgumentException();
            }
            return UUID.fromString(t);
        } catch (IllegalArgumentException e) {
            throw new FamfsException("invalid system UUID in " + source + ": '" + text.trim() + "'");
        }
    }
}
