package io.famfs.namespace;

import io.famfs.format.Extent;
import io.famfs.format.Fmap;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What {@code getmap --json} prints and the REST API returns for a file's map. */
public final class FileDescription {
    private FileDescription() {
    }

    /** A file, its map and the device ranges holding it, as plain data (JSON-ready). */
    public static Map<String, Object> of(Namespace.File f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", f.meta().path());
        m.put("size", f.size());
        m.put("mode", String.format("0%o", f.mode()));
        m.put("uid", f.uid());
        m.put("gid", f.gid());
        m.put("flags", f.meta().flags());
        m.put("logIndex", f.logIndex());
        List<Map<String, Object>> extents = new ArrayList<>();
        for (Extent e : f.meta().fmap().deviceExtents()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("devIndex", e.devIndex());
            x.put("offset", e.offset());
            x.put("length", e.length());
            extents.add(x);
        }
        switch (f.meta().fmap()) {
            case Fmap.Simple s -> {
                m.put("type", "simple");
                m.put("extents", extents);
            }
            case Fmap.Interleaved il -> {
                m.put("type", "interleaved");
                m.put("nstrips", il.nstrips());
                m.put("chunkSize", il.chunkSize());
                m.put("strips", extents);
            }
        }
        return m;
    }
}
