package io.famfs.api;

import io.famfs.fuse.FuseServer;
import io.famfs.fuse.MountedFs;

/**
 * The mount this process serves, for the REST API, health checks and metrics. Set by
 * {@code famfs mount --foreground} once the mount is up (a plain holder rather than a
 * CDI bean, because the commands also run outside CDI, in tests and tools).
 */
public final class ServedMount {
    private static volatile FuseServer server;

    private ServedMount() {
    }

    public static void set(FuseServer s) {
        server = s;
    }

    public static FuseServer server() {
        return server;
    }

    /** The served file system, or null while none is mounted. */
    public static MountedFs mounted() {
        FuseServer s = server;
        return s == null ? null : s.mounted();
    }

    /** The served file system; answers 503 when this process serves no mount. */
    static MountedFs require() {
        MountedFs m = mounted();
        if (m == null) {
            throw new ApiError(503, "this process serves no famfs mount");
        }
        return m;
    }
}
