package io.famfs.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the packaged launchers ({@code bin/famfs}, {@code bin/mkfs.famfs}) as a user would. */
public final class Launcher {
    private Launcher() {
    }

    /** {@code bin/famfs ARGS} as node {@code uuid}, with extra environment {@code env} ("K=V"). */
    public static Run famfs(String uuid, List<String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "FAMFS_SYSTEM_UUID=" + uuid));
        cmd.addAll(env);
        cmd.add(Daemon.HOME.resolve("bin/famfs").toString());
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    public static Run famfs(String uuid, String... args) {
        return famfs(uuid, List.of(), args);
    }

    /** Runs a command with a 180 s limit; stdout and stderr kept apart. */
    public static Run run(List<String> cmd) {
        try {
            Path out = java.nio.file.Files.createTempFile("famfs-run", ".out");
            Path err = java.nio.file.Files.createTempFile("famfs-run", ".err");
            try {
                Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                if (!p.waitFor(180, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("timed out: " + String.join(" ", cmd));
                }
                return new Run(p.exitValue(), java.nio.file.Files.readString(out), java.nio.file.Files.readString(err));
            } finally {
                java.nio.file.Files.deleteIfExists(out);
                java.nio.file.Files.deleteIfExists(err);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }
}
