package io.famfs.log;

import io.famfs.FamfsException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Interleaved ("strided") allocation settings: from {@code creat}/{@code cp} flags
 * {@code -N/-B/-C}, or from a {@code .meta/.alloc.cfg} YAML file:
 * <pre>
 * interleaved_alloc:
 *   nbuckets: 8
 *   nstrips: 4
 *   chunk_size: 0x200000
 * </pre>
 * All zero means contiguous allocation. When any flag is given, the chunk defaults to
 * 2 MiB. Limits are upstream's: chunk a power of two and a multiple of the alloc unit,
 * 1 &lt;= nbuckets &lt;= 64, nstrips &lt;= nbuckets and &lt;= 16, buckets of at least 1 GiB.
 */
public record AllocConfig(int nbuckets, int nstrips, long chunkSize) {
    public static final AllocConfig CONTIGUOUS = new AllocConfig(0, 0, 0);
    public static final long DEFAULT_CHUNK = 2L << 20;
    public static final int MAX_BUCKETS = 64;
    public static final int MAX_STRIPS = 16;
    public static final long MIN_BUCKET_SIZE = 1L << 30;

    public boolean interleaved() {
        return nbuckets != 0 || nstrips != 0 || chunkSize != 0;
    }

    /** From command-line flags (null = not given). */
    public static AllocConfig fromFlags(Integer nbuckets, Integer nstrips, Long chunk) {
        if (nbuckets == null && nstrips == null && chunk == null) {
            return CONTIGUOUS;
        }
        return new AllocConfig(nbuckets == null ? 0 : nbuckets, nstrips == null ? 0 : nstrips,
                chunk == null ? DEFAULT_CHUNK : chunk);
    }

    /** Fails with a one-line error unless usable on a device of {@code deviceSize} bytes. */
    public AllocConfig validate(long deviceSize, long allocUnit) {
        if (!interleaved()) {
            return this;
        }
        if (chunkSize <= 0 || Long.bitCount(chunkSize) != 1 || chunkSize % allocUnit != 0) {
            throw new FamfsException(String.format(
                    "interleave chunk size 0x%x must be a power of two and a multiple of the 0x%x alloc unit", chunkSize, allocUnit), FamfsException.Reason.INVALID);
        }
        if (nbuckets < 1 || nbuckets > MAX_BUCKETS) {
            throw new FamfsException("nbuckets " + nbuckets + " must be between 1 and " + MAX_BUCKETS, FamfsException.Reason.INVALID);
        }
        if (nstrips < 1 || nstrips > nbuckets || nstrips > MAX_STRIPS) {
            throw new FamfsException("nstrips " + nstrips + " must be between 1 and min(nbuckets " + nbuckets + ", " + MAX_STRIPS + ")", FamfsException.Reason.INVALID);
        }
        if (deviceSize / nbuckets < MIN_BUCKET_SIZE) {
            throw new FamfsException("nbuckets " + nbuckets + " gives buckets smaller than 1 GiB on a " + deviceSize + "-byte device", FamfsException.Reason.INVALID);
        }
        return this;
    }

    /** Parses the .alloc.cfg YAML subset upstream writes; a missing file is contiguous. */
    public static AllocConfig fromFile(Path file) {
        if (!Files.exists(file)) {
            return CONTIGUOUS;
        }
        int nbuckets = 0;
        int nstrips = 0;
        long chunk = 0;
        boolean inSection = false;
        try {
            for (String raw : Files.readAllLines(file)) {
                String line = raw.replaceAll("#.*", "").stripTrailing();
                if (line.isBlank() || line.equals("---") || line.equals("...")) {
                    continue;
                }
                if (!Character.isWhitespace(line.charAt(0))) {
                    inSection = line.trim().equals("interleaved_alloc:");
                    continue;
                }
                if (!inSection) {
                    continue;
                }
                String[] kv = line.trim().split(":", 2);
                if (kv.length != 2) {
                    throw new FamfsException(file + ": cannot parse '" + raw.trim() + "'");
                }
                long value = parseNumber(kv[1].trim(), file);
                switch (kv[0].trim()) {
                    case "nbuckets" -> nbuckets = (int) value;
                    case "nstrips" -> nstrips = (int) value;
                    case "chunk_size" -> chunk = value;
                    default -> throw new FamfsException(file + ": unknown key '" + kv[0].trim() + "'");
                }
            }
        } catch (IOException e) {
            throw new FamfsException("cannot read " + file + ": " + e.getMessage());
        }
        return new AllocConfig(nbuckets, nstrips, chunk);
    }

    private static long parseNumber(String text, Path file) {
        try {
            return Sizes.parse(text);
        } catch (IllegalArgumentException e) {
            throw new FamfsException(file + ": bad number '" + text + "'");
        }
    }
}
