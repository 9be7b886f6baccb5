package io.famfs.shadow;

import io.famfs.format.Extent;
import io.famfs.format.Fmap;
import io.famfs.format.LogRecord;
import io.famfs.log.Famfs;
import io.famfs.log.Replayer;
import io.famfs.namespace.Namespace;
import io.famfs.testing.Devices;
import io.famfs.testing.Golden;
import io.famfs.testing.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shadow YAML writer and its strict parser against the bytes ../shared/CLI.md gives,
 * and {@code famfs logplay --shadow} on upstream's golden images.
 */
class ShadowYamlTest {
    /** CLI.md's example, byte for byte. */
    static final String STRIPED = """
            ---
            file:
              path: a/b/g
              size: 9437184
              flags: 2
              mode: 0644
              uid: 0
              gid: 0
              nextents: 1
              striped_ext_list:
              - nstrips: 2
                chunk_size: 0x200000
                simple_ext_list:
                - devindex: 0
                  offset: 0x100000000
                  length: 0x600000
                - devindex: 0
                  offset: 0xe00000
                  length: 0x600000
            ...
            """;

    static final String SIMPLE = """
            ---
            file:
              path: f3m
              size: 3145728
              flags: 2
              mode: 0644
              uid: 0
              gid: 0
              nextents: 1
              simple_ext_list:
              - devindex: 0
                offset: 0xa00000
                length: 0x400000
            ...
            """;

    static final LogRecord.File STRIPED_FILE = new LogRecord.File("a/b/g", 9437184, 2, 0, 0, 0644,
            new Fmap.Interleaved(2, 0x200000, List.of(new Extent(0, 0x100000000L, 0x600000), new Extent(0, 0xe00000, 0x600000))));
    static final LogRecord.File SIMPLE_FILE = new LogRecord.File("f3m", 3145728, 2, 0, 0, 0644,
            new Fmap.Simple(List.of(new Extent(0, 0xa00000, 0x400000))));

    @BeforeAll
    static void master() {
        Devices.actAs(Devices.MASTER);
    }

    @AfterAll
    static void reset() {
        System.clearProperty("FAMFS_SYSTEM_UUID");
    }

    @Test
    void writesTheDocumentedBytes() {
        assertEquals(STRIPED, ShadowYaml.emit(STRIPED_FILE));
        assertEquals(SIMPLE, ShadowYaml.emit(SIMPLE_FILE));
    }

    @Test
    void parsesTheDocumentedBytes() {
        assertEquals(STRIPED_FILE, ShadowYaml.parse(STRIPED));
        assertEquals(SIMPLE_FILE, ShadowYaml.parse(SIMPLE));
    }

    @Test
    void numbersAreStrtoullBaseZero() {
        LogRecord.File f = ShadowYaml.parse(SIMPLE.replace("size: 3145728", "size: 0x300000").replace("uid: 0", "uid: 010")
                .replace("mode: 0644", "mode: 0755"));
        assertEquals(0x300000, f.size());
        assertEquals(8, f.uid());
        assertEquals(0755, f.mode());
        assertThrows(ShadowYaml.ParseException.class, () -> ShadowYaml.parse(SIMPLE.replace("size: 3145728", "size: 3m")));
        assertThrows(ShadowYaml.ParseException.class, () -> ShadowYaml.parse(SIMPLE.replace("size: 3145728", "size: -1")));
    }

    @Test
    void refusesWhatUpstreamRefuses() {
        // unknown key under file
        bad(SIMPLE.replace("  uid: 0\n", "  uid: 0\n  colour: red\n"));
        // the extent list must be the last key of file
        bad(SIMPLE.replace("  nextents: 1\n", "").replace("...\n", "  nextents: 1\n...\n"));
        bad(SIMPLE.replace("...\n", "  flags2: 1\n...\n"));
        // simple_ext_list must be the last key of a striped entry
        bad(STRIPED.replace("    chunk_size: 0x200000\n", "").replace("...\n", "    chunk_size: 0x200000\n...\n"));
        // list length must equal nextents / nstrips
        bad(SIMPLE.replace("nextents: 1", "nextents: 2"));
        bad(STRIPED.replace("nstrips: 2", "nstrips: 3"));
        // each extent needs offset and length
        bad(SIMPLE.replace("    length: 0x400000\n", ""));
        bad(SIMPLE.replace("    offset: 0xa00000\n", ""));
        // no file mapping; flow style; duplicate keys
        bad("---\nfoo: 1\n...\n");
        bad("---\nfile: {path: x}\n...\n");
        bad(SIMPLE.replace("  uid: 0\n", "  uid: 0\n  uid: 1\n"));
        // at most 16 extents
        StringBuilder many = new StringBuilder("---\nfile:\n  path: m\n  size: 1\n  flags: 2\n  mode: 0644\n  uid: 0\n"
                + "  gid: 0\n  nextents: 17\n  simple_ext_list:\n");
        for (int i = 1; i <= 17; i++) {
            many.append("  - devindex: 0\n    offset: 0x").append(Long.toHexString(i * 0x200000L))
                    .append("\n    length: 0x200000\n");
        }
        bad(many.append("...\n").toString());
    }

    @Test
    void readsAtMost16KiB() {
        byte[] padded = (SIMPLE.replace("---\n", "---\n" + "#".repeat(ShadowYaml.MAX_BYTES) + "\n")).getBytes();
        assertThrows(ShadowYaml.ParseException.class, () -> ShadowYaml.parse(padded));
        assertEquals(SIMPLE_FILE, ShadowYaml.parse(SIMPLE.getBytes()));
    }

    private static void bad(String yaml) {
        assertThrows(ShadowYaml.ParseException.class, () -> ShadowYaml.parse(yaml), yaml);
    }

    @Test
    void shadowTreeOfUpstreamsManyImageMatchesGetmap(@TempDir Path shadow) throws IOException {
        Path img = Golden.image("many");
        Run r = Run.famfs("logplay", "--shadow", shadow.toString(), "--daxdev", img.toString()).ok();
        assertTrue(r.out().startsWith("Logplay: running in shadow test mode\n"), r.out());
        assertTrue(r.out().contains("famfs_logplay(shadow): 1560 log entries; 1500 new files; 60 new directories\n"), r.out());
        assertTrue(r.out().contains("\tshadow yaml checked for 1500 files\n\tthere were 0 yaml errors detected\n"), r.out());
        Path root = shadow.resolve("root");
        List<Path> files;
        List<Path> dirs;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(Files::isRegularFile).filter(p -> !p.startsWith(root.resolve(".meta"))).toList();
        }
        try (Stream<Path> s = Files.walk(root)) {
            dirs = s.filter(Files::isDirectory).filter(p -> !p.equals(root) && !p.equals(root.resolve(".meta"))).toList();
        }
        assertEquals(1500, files.size());
        assertEquals(60, dirs.size());
        // every YAML parses to the map getmap reports (the replayed log entry)
        try (Famfs fs = Famfs.open(img, false)) {
            Replayer rp = new Replayer(fs);
            rp.replay();
            for (Path f : files) {
                String rel = root.relativize(f).toString();
                Namespace.File nf = (Namespace.File) rp.namespace().lookup(rel);
                assertEquals(nf.meta(), ShadowYaml.parse(Files.readAllBytes(f)), rel);
                assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
            }
        }
        assertEquals(ShadowYaml.emitMeta(".meta/.superblock", 2097152, 0444, 0),
                Files.readString(root.resolve(".meta/.superblock")));
        assertTrue(Files.readString(root.resolve(".meta/.log")).contains("  size: 8388608\n  flags: 0\n  mode: 0644\n"));

        // existing files are kept and counted; -v adds upstream's Created/Existed lines and the YAML
        Run again = Run.famfs("logplay", "-v", "--shadow", root.toString(), "--daxdev", img.toString()).ok();
        assertTrue(again.out().contains("famfs_logplay(shadow): 1560 log entries; 0 new files; 0 new directories\n"
                + "\tCreated:  0 files, 0 directories\n\tExisted: 1500 files, 60 directories\n"), again.out());
        assertTrue(again.out().contains("---\nfile:\n  path: "), again.out());

        // a tampered YAML is found by the check, and counted as an error
        Path victim = files.getFirst();
        Files.writeString(victim, Files.readString(victim).replace("flags: 2", "flags: 1"));
        Run tampered = Run.famfs("logplay", "--shadow", shadow.toString(), "--daxdev", img.toString()).expect(1);
        assertTrue(tampered.out().contains("\tthere were 1 yaml errors detected\n"), tampered.out());
        assertTrue(tampered.err().contains(victim.toString()), tampered.err());
    }

    @Test
    void basicImageHasInterleavedAndPrivateEntries(@TempDir Path shadow) throws IOException {
        Path img = Golden.image("basic");
        Run.famfs("logplay", "--shadow", shadow.toString(), "--daxdev", img.toString()).ok();
        Path root = shadow.resolve("root");
        String striped = Files.readString(root.resolve("dir2/a/striped"));
        assertTrue(striped.contains("  striped_ext_list:\n  - nstrips: "), striped);
        Path priv = root.resolve("private");
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(priv)));
        assertEquals(1001, Files.getAttribute(priv, "unix:uid"));
        assertEquals(1002, Files.getAttribute(priv, "unix:gid"));
    }

    @Test
    void optionRulesAndExitCodes(@TempDir Path dir) throws IOException {
        String img = Golden.image("basic").toString();
        Run.famfs("logplay", "--shadow", dir.resolve("missing").toString(), "--daxdev", img).expect(2);
        Path file = Files.createFile(dir.resolve("file"));
        Run.famfs("logplay", "--shadow", file.toString(), "--daxdev", img).expect(20);
        Run.famfs("logplay", "--daxdev", img).expect(1);
        Run.famfs("logplay", "--shadow", dir.toString(), "--shadow", dir.toString(), "--daxdev", img).expect(22);
        Run.famfs("logplay", "-r", "-m", "--shadow", dir.toString(), "--daxdev", img).expect(1);
        Run.famfs("logplay", "--shadow", dir.toString()).expect(1);
        // dry run: counted -n, nothing written
        Run dry = Run.famfs("logplay", "-nn", "--shadow", dir.toString(), "--daxdev", img).ok();
        assertTrue(dry.out().contains("Logplay: dry_run selected\n"), dry.out());
        assertTrue(dry.out().contains("famfs_logplay(shadow): 10 log entries; 0 new files; 0 new directories\n"), dry.out());
        assertTrue(Files.notExists(dir.resolve("root")));
    }
}
