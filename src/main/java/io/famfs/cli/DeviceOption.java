package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.log.Famfs;
import io.famfs.namespace.PathRules;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * {@code --device DEV}: address a famfs device directly (no mount needed); paths are then
 * relative to the file system root. A leading '/' is accepted and means the root.
 */
public class DeviceOption {
    @Option(names = "--device", paramLabel = "DEV",
            description = "famfs memory device or image to operate on (paths are relative to its root)")
    Path device;

    /** Opens the device; a missing option is a one-line error naming the command. */
    public Famfs open(boolean writable) {
        if (device == null) {
            throw new FamfsException("no --device given: name the famfs device or image to use");
        }
        return Famfs.open(device, writable);
    }

    /** The root-relative form of a user path ("" is the root). */
    public static String relative(String userPath) {
        String p = userPath;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        p = PathRules.tidy(p);
        return p.equals(".") ? "" : p;
    }
}
