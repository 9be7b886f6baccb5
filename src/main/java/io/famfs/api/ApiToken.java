package io.famfs.api;

import io.famfs.FamfsException;
import org.eclipse.microprofile.config.ConfigProvider;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The bearer token every mutation needs. It lives in a root-only file (mode 0600;
 * default {@code /etc/famfs/api-token}, setting {@code famfs.api.token-file} or
 * FAMFS_API_TOKEN_FILE), created with 32 random bytes on the first start when missing.
 */
public final class ApiToken {
    public static final String DEFAULT_FILE = "/etc/famfs/api-token";
    private static volatile byte[] token;

    private ApiToken() {
    }

    public static Path file() {
        return Path.of(ConfigProvider.getConfig().getOptionalValue("famfs.api.token-file", String.class)
                .orElse(DEFAULT_FILE));
    }

    /** Loads the token, creating the file first if it does not exist. */
    public static synchronized byte[] ensure() {
        if (token != null) {
            return token;
        }
        Path f = file();
        try {
            if (!Files.exists(f)) {
                Files.createDirectories(f.toAbsolutePath().getParent());
                byte[] raw = new byte[32];
                new SecureRandom().nextBytes(raw);
                Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
                Files.writeString(tmp, HexFormat.of().formatHex(raw) + "\n");
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
                Files.move(tmp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            String text = Files.readString(f).strip();
            if (text.length() < 16) {
                throw new FamfsException(f + ": API token is shorter than 16 characters");
            }
            token = text.getBytes(StandardCharsets.UTF_8);
            return token;
        } catch (IOException e) {
            throw new FamfsException("cannot read or create the API token file " + f + ": " + e.getMessage());
        }
    }

    /** Constant-time check of an {@code Authorization} header value. */
    public static boolean accepts(String authorization) {
        // the auth scheme is case-insensitive (RFC 7235 section 2.1); the token is not
        String a = authorization == null ? "" : authorization.strip();
        if (a.length() <= 7 || !a.regionMatches(true, 0, "Bearer", 0, 6) || (a.charAt(6) != ' ' && a.charAt(6) != '\t')) {
            return false;
        }
        byte[] given = a.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(ensure(), given);
    }
}
