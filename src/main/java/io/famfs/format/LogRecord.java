package io.famfs.format;

import java.util.UUID;

/** The payload of one log entry, decoded. */
public sealed interface LogRecord {
    int TYPE_FILE = 0;
    int TYPE_MKDIR = 1;
    int TYPE_DELETE = 2;
    int TYPE_ADD_DAXDEV = 3;
    int TYPE_INVALID = 4;

    /** {@code fm_flags} value upstream writes for every created file. */
    int FLAG_ALL_HOSTS_RW = 2;
    int FLAG_ALL_HOSTS_RO = 1;

    int type();

    /** FAMFS_LOG_FILE: a pre-allocated file. */
    record File(String path, long size, int flags, int uid, int gid, int mode, Fmap fmap) implements LogRecord {
        @Override
        public int type() {
            return TYPE_FILE;
        }
    }

    /** FAMFS_LOG_MKDIR. */
    record Mkdir(String path, int uid, int gid, int mode) implements LogRecord {
        @Override
        public int type() {
            return TYPE_MKDIR;
        }
    }

    /** FAMFS_LOG_ADD_DAXDEV: recorded, ignored by replay and allocation (as upstream). */
    record AddDaxdev(long size, UUID uuid, int index) implements LogRecord {
        @Override
        public int type() {
            return TYPE_ADD_DAXDEV;
        }
    }

    /** DELETE (never written upstream), INVALID or an unknown type: tolerated and ignored. */
    record Other(int type) implements LogRecord {
    }
}
