package io.famfs.cli;

import io.famfs.format.Superblock;
import picocli.CommandLine;

/** Prints what this build is and which on-media format it speaks. */
public class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Version.class.getPackage().getImplementationVersion();
        return new String[] {
                "famfs-java " + (v == null ? "dev" : v),
                "superblock version " + Superblock.CURRENT_VERSION + ", OMF " + Superblock.OMF_MAJOR + "." + Superblock.OMF_MINOR,
        };
    }
}
