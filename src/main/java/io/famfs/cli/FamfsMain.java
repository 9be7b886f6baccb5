package io.famfs.cli;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import jakarta.inject.Inject;
import picocli.CommandLine;

/**
 * Entry point of the packaged application. {@code bin/famfs ARGS} and
 * {@code bin/mkfs.famfs ARGS} (which is {@code famfs mkfs ARGS}) both land here.
 *
 * <p>Only the process that serves a mount boots Quarkus (CDI, the HTTP listener for the
 * fleet API, health and metrics). One-shot commands are plain Picocli commands and run
 * without it: they need none of it, and start in about half the time.
 */
@QuarkusMain
public class FamfsMain implements QuarkusApplication {
    @Inject
    CommandLine.IFactory factory;

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("fused")) {
            // upstream's famfs_fused command line (bin/famfs_fused): becomes a famfs mount
            java.io.PrintWriter out = new java.io.PrintWriter(System.out, true);
            java.io.PrintWriter err = new java.io.PrintWriter(System.err, true);
            FusedCommand.Translation t = FusedCommand.translate(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
            if (t.exit() != null) {
                System.exit(t.exit());
            }
            MountCommand.relaunchArgs = t.mountArgs();
            args = t.mountArgs().toArray(String[]::new);
        }
        // Only the process that serves a mount listens for HTTP (the fleet API, health,
        // metrics); every other command must not collide with a running server's port.
        if (!Cli.servesMount(args)) {
            System.exit(Cli.execute(args));
        }
        if (System.getenv("QUARKUS_HTTP_HOST_ENABLED") == null) {
            System.setProperty("quarkus.http.host-enabled", "true");
        }
        try {
            io.famfs.api.ApiListener.configure(args);
        } catch (io.famfs.api.ApiListener.PortTaken e) {
            System.err.println("famfs mount: " + e.getMessage());
            System.exit(1);
        }
        // plain HTTP on loopback only: off loopback, HTTPS or no start (one line, no trace)
        try {
            io.famfs.api.ApiTls.configure();
        } catch (io.famfs.FamfsException e) {
            System.err.println("famfs mount: " + e.getMessage());
            System.exit(e.exitCode());
        }
        Quarkus.run(FamfsMain.class, args);
    }

    @Override
    public int run(String... args) {
        return Cli.commandLine(factory, args).execute(args);
    }
}
