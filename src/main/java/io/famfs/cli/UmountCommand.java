package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.fuse.MountTable;
import io.famfs.fuse.Unmount;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/** {@code famfs umount MOUNTPOINT}: ends a mount; its server then exits by itself. */
@Command(name = "umount", mixinStandardHelpOptions = true, description = "Unmount a famfs mount.")
class UmountCommand extends Subcommand {
    @Parameters(paramLabel = "MOUNTPOINT")
    Path mountPoint;

    @Override
    public Integer call() {
        if (!MountTable.isMounted(mountPoint)) {
            throw new FamfsException(mountPoint + ": not a famfs mount");
        }
        Unmount.run(mountPoint.toAbsolutePath().normalize());
        return 0;
    }
}
