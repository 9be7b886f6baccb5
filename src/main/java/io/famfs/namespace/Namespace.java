package io.famfs.namespace;

import io.famfs.format.Extent;
import io.famfs.format.LogRecord;

import java.util.List;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The file tree a log describes, built by applying entries in log order. Semantics
 * follow upstream's logplay: the first entry to name a path wins and later ones are
 * counted as "existed"; a parent must exist before its children. Unlike upstream, an
 * entry whose path breaks {@link PathRules} or whose extents fall outside the device is
 * refused and reported, never applied.
 *
 * <p>Readers may walk the tree while a single replayer adds to it (children maps are
 * concurrent), which a FUSE server following the log needs.
 */
public final class Namespace {
    /** A node of the tree. */
    public sealed interface Node permits Dir, File {
        String name();

        int mode();

        int uid();

        int gid();
    }

    /** A directory: from a MKDIR entry, or the root. */
    public record Dir(String name, int mode, int uid, int gid, long logIndex,
                      NavigableMap<String, Node> children) implements Node {
    }

    /** A file and the log entry that created it. */
    public record File(String name, LogRecord.File meta, long logIndex) implements Node {
        @Override
        public int mode() {
            return meta.mode();
        }

        @Override
        public int uid() {
            return meta.uid();
        }

        @Override
        public int gid() {
            return meta.gid();
        }

        public long size() {
            return meta.size();
        }
    }

    /** What applying one entry did. */
    public enum Effect { CREATED, EXISTED, IGNORED, REJECTED }

    public record Outcome(Effect effect, String message) {
        static final Outcome CREATED = new Outcome(Effect.CREATED, null);
        static final Outcome EXISTED = new Outcome(Effect.EXISTED, null);
        static final Outcome IGNORED = new Outcome(Effect.IGNORED, null);

        static Outcome rejected(String why) {
            return new Outcome(Effect.REJECTED, why);
        }
    }

    private final Dir root = new Dir("", 0755, 0, 0, -1, new ConcurrentSkipListMap<>());
    private final long deviceSize;
    private final long allocUnit;
    private volatile long files;
    private volatile long dirs;

    /** A namespace for a device of {@code deviceSize} bytes allocated in {@code allocUnit} units. */
    public Namespace(long deviceSize, long allocUnit) {
        this.deviceSize = deviceSize;
        this.allocUnit = allocUnit;
    }

    public Dir root() {
        return root;
    }

    public long fileCount() {
        return files;
    }

    public long dirCount() {
        return dirs;
    }

    /** The node at a relative path ("" is the root), or null. */
    public Node lookup(String path) {
        if (path.isEmpty() || path.equals(".")) {
            return root;
        }
        Node node = root;
        for (String component : path.split("/")) {
            if (!(node instanceof Dir dir)) {
                return null;
            }
            node = dir.children().get(component);
            if (node == null) {
                return null;
            }
        }
        return node;
    }

    /** Applies the entry at log {@code index}. Only one thread may apply at a time. */
    public synchronized Outcome apply(long index, LogRecord record) {
        return switch (record) {
            case LogRecord.Mkdir m -> applyMkdir(index, m);
            case LogRecord.File f -> applyFile(index, f);
            case LogRecord.AddDaxdev d -> Outcome.IGNORED;
            case LogRecord.Other o -> Outcome.IGNORED;
        };
    }

    private Outcome applyMkdir(long index, LogRecord.Mkdir m) {
        String problem = PathRules.problem(m.path());
        if (problem != null) {
            return Outcome.rejected("mkdir '" + PathRules.printable(m.path()) + "': " + problem);
        }
        Node parent = lookup(PathRules.parent(m.path()));
        if (!(parent instanceof Dir dir)) {
            return Outcome.rejected("mkdir '" + PathRules.printable(m.path()) + "': parent directory does not exist");
        }
        Node existing = dir.children().get(PathRules.name(m.path()));
        if (existing instanceof Dir) {
            return Outcome.EXISTED;
        }
        if (existing != null) {
            return Outcome.rejected("mkdir '" + PathRules.printable(m.path()) + "': a file of that name exists");
        }
        dir.children().put(PathRules.name(m.path()),
                new Dir(PathRules.name(m.path()), m.mode() & 07777, m.uid(), m.gid(), index, new ConcurrentSkipListMap<>()));
        dirs++;
        return Outcome.CREATED;
    }

    private Outcome applyFile(long index, LogRecord.File f) {
        String problem = PathRules.problem(f.path());
        if (problem == null) {
            problem = fmapProblem(f);
        }
        if (problem != null) {
            return Outcome.rejected("file '" + PathRules.printable(f.path()) + "': " + problem);
        }
        Node parent = lookup(PathRules.parent(f.path()));
        if (!(parent instanceof Dir dir)) {
            return Outcome.rejected("file '" + PathRules.printable(f.path()) + "': parent directory does not exist");
        }
        if (dir.children().containsKey(PathRules.name(f.path()))) {
            return Outcome.EXISTED;
        }
        dir.children().put(PathRules.name(f.path()), new File(PathRules.name(f.path()), f, index));
        files++;
        return Outcome.CREATED;
    }

    /** Null when the file's map is usable on this device, else why not. */
    public String fmapProblem(LogRecord.File f) {
        if (f.size() <= 0) {
            return "size " + f.size() + " is not positive";
        }
        List<Extent> extents = f.fmap().deviceExtents();
        for (Extent e : extents) {
            if (e.devIndex() != 0) {
                return "extent on device index " + e.devIndex() + " (only device 0 exists)";
            }
            if (e.offset() == 0 || e.length() <= 0) {
                return String.format("extent at 0x%x length 0x%x is invalid", e.offset(), e.length());
            }
            if (e.offset() % allocUnit != 0) {
                return String.format("extent offset 0x%x is not aligned to the 0x%x alloc unit", e.offset(), allocUnit);
            }
            // offsets are u64 on media: a "negative" one is beyond any device, however long the extent
            if (e.offset() < 0 || e.offset() + e.length() > deviceSize || e.offset() + e.length() < 0) {
                return String.format("extent 0x%x+0x%x lies beyond the device (0x%x bytes)", e.offset(), e.length(), deviceSize);
            }
        }
        if (FileMapper.capacity(f.fmap()) < f.size()) {
            return "its extents hold fewer bytes than its size " + f.size();
        }
        return null;
    }
}
