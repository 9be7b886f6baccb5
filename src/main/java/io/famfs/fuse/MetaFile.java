package io.famfs.fuse;

/**
 * The virtual files under {@code <mount>/.meta}. None of them is ever in the log.
 * {@code .superblock} and {@code .log} map the device regions as upstream does;
 * {@code .logplay} is ours: opening it replays the log at once and reading it returns
 * what that replay did (what {@code famfs logplay MOUNTPOINT} prints).
 */
enum MetaFile {
    DIR(".meta"),
    SUPERBLOCK(".superblock"),
    LOG(".log"),
    LOGPLAY(".logplay");

    final String fileName;

    MetaFile(String fileName) {
        this.fileName = fileName;
    }

    static final String DIR_PATH = "/.meta";

    /** The meta file at a FUSE path, or null. */
    static MetaFile at(String path) {
        if (path.equals(DIR_PATH)) {
            return DIR;
        }
        if (!path.startsWith(DIR_PATH + "/")) {
            return null;
        }
        String name = path.substring(DIR_PATH.length() + 1);
        for (MetaFile m : values()) {
            if (m != DIR && m.fileName.equals(name)) {
                return m;
            }
        }
        return null;
    }
}
