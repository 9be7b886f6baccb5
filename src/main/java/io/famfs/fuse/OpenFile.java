package io.famfs.fuse;

import io.famfs.namespace.FileMapper;

/**
 * An open file of the mount: its mapper (for data files and the meta regions) or the
 * fixed content of a control file, and whether it was opened for writing.
 */
record OpenFile(FileMapper mapper, byte[] content, boolean writable) {
    long size() {
        return mapper != null ? mapper.fileSize() : content.length;
    }
}
