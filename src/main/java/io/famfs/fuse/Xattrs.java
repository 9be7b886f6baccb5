package io.famfs.fuse;

import io.famfs.format.Extent;
import io.famfs.format.Fmap;
import io.famfs.namespace.Namespace;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The extended attributes a famfs mount answers (read-only; setxattr is refused):
 * <pre>
 *   on the mount root    user.famfs.fsuuid   the file system UUID this mount replayed
 *                        user.famfs.state    "ok", or "down: KIND: why" once quarantined
 *                        user.famfs.home     the mount's home directory (see MountHome)
 *                        user.famfs.broker   the mount's descriptor broker socket
 *                        user.famfs.shadow   the shadow dir of upstream's famfs_fused layout
 *                                            (SHADOW: SHADOW/root is the tree, SHADOW/sock its REST socket)
 *   on every file        user.famfs.device   the device path
 *                        user.famfs.fmap     the file's map, encoding below
 *                        user.famfs.broker   the mount's descriptor broker socket
 * </pre>
 * {@code user.famfs.fmap}, version 1: ASCII lines, numbers in decimal, '\n' ends each:
 * <pre>
 *   famfs-fmap 1
 *   size FILE_SIZE
 *   simple N                      then N lines:   extent DEV_OFFSET LENGTH
 * or
 *   interleaved NSTRIPS CHUNK     then NSTRIPS lines: strip DEV_OFFSET LENGTH
 * </pre>
 * For a simple map, file byte {@code x} is in the extent whose running sum covers it; for
 * an interleaved map, file chunk {@code c = x / CHUNK} lives in strip {@code c % NSTRIPS}
 * at {@code strip offset + (c / NSTRIPS) * CHUNK + x % CHUNK}. A reader must refuse a
 * first line other than {@code famfs-fmap 1}. Directories answer ENODATA.
 */
final class Xattrs {
    static final String FSUUID = "user.famfs.fsuuid";
    static final String STATE = "user.famfs.state";
    static final String HOME = "user.famfs.home";
    static final String DEVICE = "user.famfs.device";
    static final String FMAP = "user.famfs.fmap";
    static final String BROKER = "user.famfs.broker";
    static final String SHADOW = "user.famfs.shadow";

    private Xattrs() {
    }

    /** The attributes of the root directory. */
    static Map<String, byte[]> root(MountedFs fs, MountHome home, java.nio.file.Path broker) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put(FSUUID, bytes(fs.superblock().fsUuid().toString()));
        m.put(STATE, bytes(fs.health().fault().map(f -> "down: " + f.kind() + ": " + f.detail()).orElse("ok")));
        if (home != null) {
            m.put(HOME, bytes(home.dir().toString()));
            m.put(SHADOW, bytes(home.shadowDir().toString()));
        }
        if (broker != null) {
            m.put(BROKER, bytes(broker.toString()));
        }
        return m;
    }

    static Map<String, byte[]> file(MountedFs fs, Namespace.File f, java.nio.file.Path broker) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put(DEVICE, bytes(fs.famfs().device().path().toAbsolutePath().toString()));
        m.put(FMAP, bytes(encode(f.meta().fmap(), f.size())));
        if (broker != null) {
            m.put(BROKER, bytes(broker.toString()));
        }
        return m;
    }

    static String encode(Fmap fmap, long size) {
        StringBuilder b = new StringBuilder("famfs-fmap 1\nsize ").append(size).append('\n');
        switch (fmap) {
            case Fmap.Simple s -> {
                b.append("simple ").append(s.extents().size()).append('\n');
                for (Extent e : s.extents()) {
                    b.append("extent ").append(e.offset()).append(' ').append(e.length()).append('\n');
                }
            }
            case Fmap.Interleaved i -> {
                b.append("interleaved ").append(i.nstrips()).append(' ').append(i.chunkSize()).append('\n');
                for (Extent e : i.strips()) {
                    b.append("strip ").append(e.offset()).append(' ').append(e.length()).append('\n');
                }
            }
        }
        return b.toString();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
