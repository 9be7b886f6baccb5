package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.fuse.MountHome;
import io.famfs.fuse.MountTable;
import io.famfs.fuse.Unmount;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code famfs umount MOUNTPOINT}: ends a mount and returns once its server process has
 * exited (found through the mount's {@link MountHome}), so the device is released when
 * the command returns. If the server outlives {@code --wait}, it says so and fails.
 */
@Command(name = "umount", mixinStandardHelpOptions = true, description = "Unmount a famfs mount.")
class UmountCommand extends Subcommand {
    @Option(names = "--wait", paramLabel = "SECONDS", description = "How long to wait for the server to exit (default 30)")
    long waitSeconds = 30;

    @Parameters(paramLabel = "MOUNTPOINT")
    Path mountPoint;

    @Override
    public Integer call() throws InterruptedException {
        if (!MountTable.isMounted(mountPoint)) {
            throw new FamfsException(mountPoint + ": not a famfs mount");
        }
        Path mp = MountTable.canonical(mountPoint);
        Optional<ProcessHandle> server = MountHome.of(mp).server().filter(p -> p.pid() != ProcessHandle.current().pid());
        Unmount.run(mp);
        if (server.isPresent()) {
            try {
                server.get().onExit().get(waitSeconds, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new FamfsException("unmounted " + mp + ", but its server (pid " + server.get().pid()
                        + ") has not exited after " + waitSeconds + " s");
            } catch (java.util.concurrent.ExecutionException e) {
                // onExit does not fail
            }
        }
        return 0;
    }
}
