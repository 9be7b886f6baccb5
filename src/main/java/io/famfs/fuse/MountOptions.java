package io.famfs.fuse;

/**
 * Options of one mount.
 *
 * @param timeoutSeconds kernel entry and attribute cache timeout (upstream {@code -t})
 * @param pollMillis     how often the log is checked for new entries
 * @param allowOther     let users other than the mounter in (mode bits still apply)
 * @param defaultPermissions let the kernel enforce mode, uid and gid
 * @param clientWritable on a client, keep logged write bits (default: read-only files)
 * @param cache          page-cache policy
 * @param singleThreaded serve requests on one thread
 * @param debug          libfuse debug output
 * @param extraFuseOptions more libfuse -o options, comma-separated (may be empty)
 * @param faultInjection enable the memory-error injection point (tests only)
 */
public record MountOptions(double timeoutSeconds, long pollMillis, boolean allowOther, boolean defaultPermissions,
                           boolean clientWritable, CacheMode cache, boolean singleThreaded, boolean debug,
                           String extraFuseOptions, boolean faultInjection) {
    public MountOptions(double timeoutSeconds, long pollMillis, boolean allowOther, boolean defaultPermissions,
                        boolean clientWritable, CacheMode cache, boolean singleThreaded, boolean debug) {
        this(timeoutSeconds, pollMillis, allowOther, defaultPermissions, clientWritable, cache, singleThreaded, debug,
                "", false);
    }

    public MountOptions withFaultInjection() {
        return new MountOptions(timeoutSeconds, pollMillis, allowOther, defaultPermissions, clientWritable, cache,
                singleThreaded, debug, extraFuseOptions, true);
    }

    public static MountOptions defaults() {
        return new MountOptions(1.0, 20, true, true, false, CacheMode.AUTO, false, false);
    }
}
