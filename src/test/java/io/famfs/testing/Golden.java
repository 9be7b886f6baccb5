package io.famfs.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The upstream-written images in ../shared/golden, unpacked (sparse) into a temporary
 * directory the first time a test asks. Nothing of them is copied into the repository.
 */
public final class Golden {
    private static Path dir;

    private Golden() {
    }

    public static synchronized Path dir() {
        if (dir != null) {
            return dir;
        }
        String archive = System.getProperty("famfs.golden.archive", "../shared/golden/upstream-golden.tar.xz");
        Path tar = Path.of(archive).toAbsolutePath().normalize();
        if (!Files.exists(tar)) {
            throw new IllegalStateException("golden archive missing: " + tar + " (../shared must sit beside the repo)");
        }
        try {
            Path out = Files.createTempDirectory("famfs-golden-");
            Process p = new ProcessBuilder("tar", "-xSJf", tar.toString(), "-C", out.toString())
                    .redirectErrorStream(true).start();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("cannot unpack " + tar + ": " + new String(p.getInputStream().readAllBytes()));
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (var files = Files.list(out)) {
                    files.forEach(f -> f.toFile().delete());
                    out.toFile().delete();
                } catch (IOException ignored) {
                    // best effort
                }
            }));
            dir = out;
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static Path image(String name) {
        return dir().resolve(name + ".img");
    }

    /** A private writable copy of an image (sparse), so tests may change it. */
    public static Path copy(String name) {
        try {
            Path copy = Devices.create("golden-" + name, 0);
            Process p = new ProcessBuilder("cp", "--sparse=always", image(name).toString(), copy.toString())
                    .redirectErrorStream(true).start();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("cp failed");
            }
            return copy;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static String text(String file) {
        try {
            return Files.readString(dir().resolve(file));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
