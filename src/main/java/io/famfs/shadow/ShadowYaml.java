package io.famfs.shadow;

import io.famfs.format.Extent;
import io.famfs.format.Fmap;
import io.famfs.format.LogRecord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The YAML shadow file upstream's FUSE daemon reads for each file (../shared/CLI.md,
 * "Shadow tree"): one document, explicit {@code ---} and {@code ...}, 2-space block style,
 * sequence dashes at the parent key's indent, plain scalars:
 * <pre>
 * ---
 * file:
 *   path: a/b/g
 *   size: 9437184
 *   flags: 2
 *   mode: 0644
 *   uid: 0
 *   gid: 0
 *   nextents: 1
 *   simple_ext_list:            (or striped_ext_list: - nstrips, chunk_size, simple_ext_list)
 *   - devindex: 0
 *     offset: 0xa00000
 *     length: 0x400000
 * ...
 * </pre>
 * {@link #parse} is strict in upstream's way: numbers are strtoull base 0, the extent list
 * is the last key of {@code file} (and {@code simple_ext_list} the last of a striped
 * entry), each extent has offset and length, list lengths equal nextents / nstrips, an
 * unknown key under {@code file} is an error, at most 16 extents or strips, at most 16384
 * bytes.
 */
public final class ShadowYaml {
    /** The daemon reads at most this many bytes of a shadow file. */
    public static final int MAX_BYTES = 16384;

    private ShadowYaml() {
    }

    /** A shadow file that does not parse, or does not describe a file. */
    public static final class ParseException extends IllegalArgumentException {
        public ParseException(String message) {
            super(message);
        }
    }

    /** The shadow file of {@code f}. */
    public static String emit(LogRecord.File f) {
        StringBuilder b = new StringBuilder(256);
        b.append("---\nfile:\n");
        b.append("  path: ").append(f.path()).append('\n');
        b.append("  size: ").append(Long.toUnsignedString(f.size())).append('\n');
        b.append("  flags: ").append(Integer.toUnsignedString(f.flags())).append('\n');
        b.append("  mode: 0").append(Integer.toOctalString(f.mode())).append('\n');
        b.append("  uid: ").append(Integer.toUnsignedString(f.uid())).append('\n');
        b.append("  gid: ").append(Integer.toUnsignedString(f.gid())).append('\n');
        switch (f.fmap()) {
            case Fmap.Simple s -> {
                b.append("  nextents: ").append(s.extents().size()).append('\n');
                b.append("  simple_ext_list:\n");
                extents(b, "  ", s.extents());
            }
            case Fmap.Interleaved il -> {
                b.append("  nextents: 1\n");
                b.append("  striped_ext_list:\n");
                b.append("  - nstrips: ").append(il.nstrips()).append('\n');
                b.append("    chunk_size: 0x").append(Long.toHexString(il.chunkSize())).append('\n');
                b.append("    simple_ext_list:\n");
                extents(b, "    ", il.strips());
            }
        }
        b.append("...\n");
        return b.toString();
    }

    private static void extents(StringBuilder b, String indent, List<Extent> list) {
        for (Extent e : list) {
            b.append(indent).append("- devindex: ").append(e.devIndex()).append('\n');
            b.append(indent).append("  offset: 0x").append(Long.toHexString(e.offset())).append('\n');
            b.append(indent).append("  length: 0x").append(Long.toHexString(e.length())).append('\n');
        }
    }

    /** Parses a shadow file (bytes beyond {@link #MAX_BYTES} are not read, as upstream). */
    public static LogRecord.File parse(byte[] bytes) {
        int n = Math.min(bytes.length, MAX_BYTES);
        return parse(new String(bytes, 0, n, StandardCharsets.UTF_8));
    }

    public static LogRecord.File parse(String text) {
        Object doc = new Reader(text).document();
        if (!(doc instanceof Map<?, ?> top) || !(top.get("file") instanceof Map<?, ?> file)) {
            throw new ParseException("no 'file:' mapping");
        }
        if (top.size() != 1) {
            throw new ParseException("unexpected top-level key besides 'file'");
        }
        List<String> keys = new ArrayList<>();
        for (Object k : file.keySet()) {
            keys.add((String) k);
        }
        String path = null;
        long size = -1;
        long flags = 0;
        long mode = 0;
        long uid = 0;
        long gid = 0;
        long nextents = -1;
        Fmap fmap = null;
        for (int i = 0; i < keys.size(); i++) {
            String k = keys.get(i);
            Object v = file.get(k);
            boolean last = i == keys.size() - 1;
            switch (k) {
                case "path" -> path = scalar(k, v);
                case "size" -> size = number(k, v);
                case "flags" -> flags = number(k, v);
                case "mode" -> mode = number(k, v);
                case "uid" -> uid = number(k, v);
                case "gid" -> gid = number(k, v);
                case "nextents" -> nextents = number(k, v);
                case "simple_ext_list", "striped_ext_list" -> {
                    if (!last) {
                        throw new ParseException(k + " must be the last key of 'file'");
                    }
                    if (nextents < 0) {
                        throw new ParseException(k + " before nextents");
                    }
                    List<?> list = list(k, v);
                    if (list.size() != nextents) {
                        throw new ParseException(k + " has " + list.size() + " entries but nextents is " + nextents);
                    }
                    fmap = k.equals("simple_ext_list") ? new Fmap.Simple(extentList(list)) : striped(list);
                }
                default -> throw new ParseException("unknown key '" + k + "' under 'file'");
            }
        }
        if (path == null || size < 0 || fmap == null) {
            throw new ParseException("'file' needs path, size, nextents and an extent list");
        }
        return new LogRecord.File(path, size, (int) flags, (int) uid, (int) gid, (int) mode, fmap);
    }

    private static Fmap striped(List<?> list) {
        if (list.size() != 1) {
            throw new ParseException("striped_ext_list: only one interleaved extent is supported");
        }
        if (!(list.getFirst() instanceof Map<?, ?> m)) {
            throw new ParseException("striped_ext_list entry is not a mapping");
        }
        long nstrips = -1;
        long chunk = -1;
        List<Extent> strips = null;
        List<?> keys = new ArrayList<>(m.keySet());
        for (int i = 0; i < keys.size(); i++) {
            String k = (String) keys.get(i);
            Object v = m.get(k);
            switch (k) {
                case "nstrips" -> nstrips = number(k, v);
                case "chunk_size" -> chunk = number(k, v);
                case "simple_ext_list" -> {
                    if (i != keys.size() - 1) {
                        throw new ParseException("simple_ext_list must be the last key of a striped entry");
                    }
                    List<?> l = list(k, v);
                    if (nstrips < 0 || l.size() != nstrips) {
                        throw new ParseException("striped simple_ext_list has " + l.size() + " strips but nstrips is "
                                + nstrips);
                    }
                    strips = extentList(l);
                }
                default -> throw new ParseException("unknown key '" + k + "' in a striped entry");
            }
        }
        if (strips == null || chunk < 0) {
            throw new ParseException("striped entry needs nstrips, chunk_size and simple_ext_list");
        }
        return new Fmap.Interleaved(nstrips, chunk, strips);
    }

    private static List<Extent> extentList(List<?> list) {
        if (list.size() > Fmap.MAX_EXTENTS) {
            throw new ParseException("more than " + Fmap.MAX_EXTENTS + " extents");
        }
        List<Extent> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> m)) {
                throw new ParseException("extent is not a mapping");
            }
            long dev = 0;
            Long off = null;
            Long len = null;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String k = (String) e.getKey();
                switch (k) {
                    case "devindex" -> dev = number(k, e.getValue());
                    case "offset" -> off = number(k, e.getValue());
                    case "length" -> len = number(k, e.getValue());
                    default -> throw new ParseException("unknown key '" + k + "' in an extent");
                }
            }
            if (off == null || len == null) {
                throw new ParseException("extent without offset or length");
            }
            out.add(new Extent(dev, off, len));
        }
        return out;
    }

    private static String scalar(String key, Object v) {
        if (!(v instanceof String s)) {
            throw new ParseException(key + ": not a scalar");
        }
        return s;
    }

    private static List<?> list(String key, Object v) {
        if (!(v instanceof List<?> l)) {
            throw new ParseException(key + ": not a list");
        }
        return l;
    }

    private static long number(String key, Object v) {
        return strtoull(key, scalar(key, v));
    }

    /** strtoull base 0, strict: the whole scalar must be the number. */
    static long strtoull(String key, String s) {
        String t = s;
        int radix = 10;
        if (t.startsWith("0x") || t.startsWith("0X")) {
            radix = 16;
            t = t.substring(2);
        } else if (t.length() > 1 && t.startsWith("0")) {
            radix = 8;
            t = t.substring(1);
        }
        try {
            if (t.isEmpty() || t.startsWith("+") || t.startsWith("-")) {
                throw new NumberFormatException();
            }
            return Long.parseUnsignedLong(t, radix);
        } catch (NumberFormatException e) {
            throw new ParseException(key + ": '" + s + "' is not a number");
        }
    }

    /** A reader of the block-style subset: mappings, sequences, plain (or simply quoted) scalars. */
    private static final class Reader {
        private record Line(int no, int indent, String text) {
        }

        private final List<Line> lines = new ArrayList<>();
        private int pos;

        Reader(String text) {
            String[] raw = text.split("\n", -1);
            boolean started = false;
            boolean ended = false;
            for (int i = 0; i < raw.length; i++) {
                String l = raw[i];
                if (l.endsWith("\r")) {
                    l = l.substring(0, l.length() - 1);
                }
                String stripped = l.strip();
                if (stripped.isEmpty() || stripped.startsWith("#")) {
                    continue;
                }
                if (l.contains("\t")) {
                    throw new ParseException("line " + (i + 1) + ": tab in indentation or value");
                }
                if (l.equals("---")) {
                    if (started || !lines.isEmpty()) {
                        throw new ParseException("line " + (i + 1) + ": more than one document");
                    }
                    started = true;
                    continue;
                }
                if (l.equals("...")) {
                    ended = true;
                    continue;
                }
                if (ended) {
                    throw new ParseException("line " + (i + 1) + ": content after the end of the document");
                }
                int indent = 0;
                while (l.charAt(indent) == ' ') {
                    indent++;
                }
                lines.add(new Line(i + 1, indent, l.substring(indent)));
            }
        }

        Object document() {
            if (lines.isEmpty()) {
                throw new ParseException("empty document");
            }
            Object v = node(lines.getFirst().indent());
            if (pos < lines.size()) {
                throw new ParseException("line " + lines.get(pos).no() + ": unexpected indentation");
            }
            return v;
        }

        private Object node(int indent) {
            Line l = lines.get(pos);
            if (l.indent() != indent) {
                throw new ParseException("line " + l.no() + ": unexpected indentation");
            }
            return isDash(l.text()) ? sequence(indent) : mapping(indent);
        }

        private static boolean isDash(String t) {
            return t.equals("-") || t.startsWith("- ");
        }

        private List<Object> sequence(int indent) {
            List<Object> out = new ArrayList<>();
            while (pos < lines.size() && lines.get(pos).indent() == indent && isDash(lines.get(pos).text())) {
                Line l = lines.get(pos);
                String rest = l.text().substring(1);
                int extra = 1;
                while (extra - 1 < rest.length() && rest.charAt(extra - 1) == ' ') {
                    extra++;
                }
                String item = rest.strip();
                if (item.isEmpty()) {
                    throw new ParseException("line " + l.no() + ": empty sequence item");
                }
                if (keyOf(item) >= 0) {
                    // "- key: value": a mapping whose first key sits after the dash
                    lines.set(pos, new Line(l.no(), indent + extra, item));
                    out.add(mapping(indent + extra));
                } else {
                    out.add(plain(item, l.no()));
                    pos++;
                }
            }
            return out;
        }

        private Map<String, Object> mapping(int indent) {
            Map<String, Object> out = new LinkedHashMap<>();
            while (pos < lines.size() && lines.get(pos).indent() == indent && !isDash(lines.get(pos).text())) {
                Line l = lines.get(pos);
                int colon = keyOf(l.text());
                if (colon < 0) {
                    throw new ParseException("line " + l.no() + ": expected 'key: value'");
                }
                String key = l.text().substring(0, colon);
                String value = l.text().substring(colon + 1).strip();
                if (out.containsKey(key)) {
                    throw new ParseException("line " + l.no() + ": duplicate key '" + key + "'");
                }
                pos++;
                if (!value.isEmpty()) {
                    out.put(key, plain(value, l.no()));
                    continue;
                }
                if (pos < lines.size()) {
                    Line next = lines.get(pos);
                    if (next.indent() > indent || (next.indent() == indent && isDash(next.text()))) {
                        out.put(key, node(next.indent()));
                        continue;
                    }
                }
                out.put(key, "");
            }
            return out;
        }

        /** Index of the colon ending a mapping key, or -1. */
        private static int keyOf(String t) {
            int c = t.indexOf(':');
            while (c >= 0) {
                if (c > 0 && (c == t.length() - 1 || t.charAt(c + 1) == ' ')) {
                    String k = t.substring(0, c);
                    return k.contains(" ") || k.startsWith("\"") || k.startsWith("'") ? -1 : c;
                }
                c = t.indexOf(':', c + 1);
            }
            return -1;
        }

        private static String plain(String v, int no) {
            if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
                String inner = v.substring(1, v.length() - 1);
                if (inner.contains("\\") || inner.contains(v.substring(0, 1))) {
                    throw new ParseException("line " + no + ": escapes in quoted scalars are not supported");
                }
                return inner;
            }
            if (v.startsWith("[") || v.startsWith("{") || v.startsWith("&") || v.startsWith("*") || v.startsWith("!")
                    || v.startsWith("|") || v.startsWith(">")) {
                throw new ParseException("line " + no + ": only block style with plain scalars is supported");
            }
            int hash = v.indexOf(" #");
            return hash >= 0 ? v.substring(0, hash).strip() : v;
        }
    }

    /** The shadow file of a meta file ({@code .meta/.superblock}, {@code .meta/.log}): flags 0, one extent. */
    public static String emitMeta(String path, long size, int mode, long offset) {
        return emit(new LogRecord.File(path, size, 0, 0, 0, mode,
                new Fmap.Simple(List.of(new Extent(0, offset, size)))));
    }
}
