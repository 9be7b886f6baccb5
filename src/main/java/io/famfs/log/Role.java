package io.famfs.log;

/** What this node may do with a file system (upstream's famfs_get_role). */
public enum Role {
    /** This node's system UUID is the superblock's: it may allocate and append. */
    MASTER,
    /** Any other node: read and replay only. */
    CLIENT,
    /** No valid superblock. */
    NOSUPER
}
