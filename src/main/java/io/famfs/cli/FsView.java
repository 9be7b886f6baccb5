package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.log.Famfs;
import io.famfs.log.ReplayReport;
import io.famfs.log.Replayer;
import io.famfs.namespace.FileData;
import io.famfs.namespace.Namespace;

/** A device opened for reading files: the famfs plus its replayed namespace. */
final class FsView implements AutoCloseable {
    /** Exit statuses of upstream's getmap family for bad targets. */
    static final int ENOENT = 2;
    static final int EISDIR = 21;
    static final int EINVAL = 22;

    private final DeviceOption target;
    private final Famfs fs;
    private final Namespace namespace;
    private final ReplayReport replay;

    private FsView(DeviceOption target, Famfs fs) {
        this.target = target;
        this.fs = fs;
        fs.requireValidLog();
        Replayer replayer = new Replayer(fs);
        this.replay = replayer.replay();
        this.namespace = replayer.namespace();
    }

    /** Opens the device behind {@code paths} (resolving mount paths first). */
    static FsView open(DeviceOption target, boolean writable, java.util.List<String> paths) {
        paths.forEach(target::relative);
        Famfs fs = target.open(writable);
        try {
            return new FsView(target, fs);
        } catch (RuntimeException e) {
            fs.close();
            throw e;
        }
    }

    Famfs famfs() {
        return fs;
    }

    Namespace namespace() {
        return namespace;
    }

    ReplayReport replay() {
        return replay;
    }

    /** The regular file at a user path, or a one-line error with an errno-style status. */
    Namespace.File file(String userPath) {
        String rel = target.relative(userPath);
        Namespace.Node node = namespace.lookup(rel);
        if (node == null) {
            throw new FamfsException(userPath + ": no such file in " + fs.device().path(), ENOENT);
        }
        if (!(node instanceof Namespace.File f)) {
            throw new FamfsException(userPath + ": is a directory, not a regular file", EISDIR);
        }
        return f;
    }

    FileData data(Namespace.File file) {
        return new FileData(fs.device().memory(), file.meta());
    }

    @Override
    public void close() {
        fs.close();
    }
}
