package io.famfs.cli;

import io.famfs.format.LogEntry;
import io.famfs.format.LogRecord;
import io.famfs.format.Superblock;
import io.famfs.log.Famfs;
import io.famfs.testing.Devices;
import io.famfs.testing.Run;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kind of bad input gets a one-line error, a non-zero exit, and leaves the device
 * exactly as it was (checked by hashing the superblock, log and first files).
 */
class BadInputTest {
    private static final long META = 16L << 20; // superblock, log and the first data units
    private Path dev;

    @BeforeEach
    void makeDevice() {
        Devices.actAs(Devices.MASTER);
        dev = Devices.create("bad", 4 * Devices.GIB);
        Run.famfs("mkfs", dev.toString()).ok();
        famfs("mkdir", "d").ok();
        famfs("creat", "-s", "1m", "-r", "-S", "9", "d/f").ok();
    }

    @AfterEach
    void cleanup() {
        Devices.delete(dev);
        System.clearProperty("FAMFS_SYSTEM_UUID");
    }

    private Run famfs(String command, String... rest) {
        return Run.onDevice(dev, command, rest);
    }

    private void poke(long offset, long value) throws IOException {
        try (FileChannel ch = FileChannel.open(dev, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value), offset);
        }
    }

    private long peek(long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(dev, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, offset);
            return b.getLong(0);
        }
    }

    /** Runs {@code action}, which must fail with a one-line error and change nothing. */
    private void refusedUnchanged(String mustContain, String command, String... rest) {
        String before = Devices.checksum(dev, META);
        famfs(command, rest).oneLineError(mustContain);
        assertEquals(before, Devices.checksum(dev, META), command + " changed the device");
    }

    @Test
    void corruptSuperblockMagicVersionOrCrc() throws IOException {
        long magic = peek(0);
        poke(0, 0x1234);
        Run.famfs("fsck", dev.toString()).oneLineError("no famfs superblock");
        refusedUnchanged("no famfs superblock", "creat", "-s", "1m", "x");
        poke(0, magic);
        poke(8, 47);
        Run.famfs("fsck", dev.toString()).oneLineError("version 47 is not supported");
        refusedUnchanged("version 47", "mkdir", "x");
        poke(8, 48);
        long uuid = peek(48);
        poke(48, uuid ^ 1);
        Run.famfs("fsck", dev.toString()).oneLineError("CRC mismatch");
        refusedUnchanged("CRC mismatch", "logplay", "--dryrun");
        poke(48, uuid);
        Run.famfs("fsck", dev.toString()).ok();
    }

    @Test
    void corruptLogHeader() throws IOException {
        poke(Superblock.LOG_OFFSET, 0xdeadL);
        Run fsck = Run.famfs("fsck", dev.toString());
        assertEquals(1, fsck.exit());
        assertTrue(fsck.err().contains("bad log magic"), fsck.err());
        refusedUnchanged("bad log magic", "creat", "-s", "1m", "x");
        refusedUnchanged("bad log magic", "logplay", "-n");
        refusedUnchanged("bad log magic", "verify", "-S", "9", "-f", "d/f");
    }

    @Test
    void entryWithBadCrcInTheMiddleStopsReplayAndFsckReportsIt() throws IOException {
        famfs("creat", "-s", "1m", "g").ok();
        // entry 1 (d/f): flip a path byte
        long off = Superblock.LOG_OFFSET + 48 + LogEntry.SIZE + 40;
        poke(off, peek(off) ^ 0x20);
        Run lp = famfs("logplay", "--dryrun");
        assertEquals(1, lp.exit());
        assertTrue(lp.err().contains("log entry 1: CRC mismatch"), lp.err());
        assertTrue(lp.err().contains("replay stops there"), lp.err());
        assertTrue(!lp.out().contains(" g "), "entries after the bad one must not be replayed: " + lp.out());
        Run fsck = Run.famfs("fsck", dev.toString());
        assertEquals(1, fsck.exit());
        assertTrue(fsck.out().contains("1 bad log entries detected"), fsck.out());
        assertTrue(fsck.err().contains("log entry 1: CRC mismatch"), fsck.err());
        refusedUnchanged("refusing to change a damaged log", "creat", "-s", "1m", "x");
    }

    @Test
    void entryWithDotDotIsRefusedOnReplayAndOnAppend() throws IOException {
        refusedUnchanged("'..' component", "mkdir", "d/../escape");
        refusedUnchanged("'..' component", "creat", "-s", "1m", "../../etc/passwd");
        refusedUnchanged("at most 79", "creat", "-s", "1m", "x".repeat(80));
        // an upstream writer would log it: put one in the log behind our back
        try (Famfs fs = Famfs.open(dev, true)) {
            long i = fs.log().nextIndex();
            LogEntry.encode(new LogRecord.Mkdir("d/../../escape", 0, 0, 0755), i, fs.log().slot(i));
            fs.log().publishNext();
        }
        Run lp = famfs("logplay", "--dryrun");
        assertEquals(1, lp.exit());
        assertTrue(lp.out().contains("'..' component"), lp.out());
        Run fsck = Run.famfs("fsck", dev.toString());
        assertEquals(1, fsck.exit());
        assertTrue(fsck.err().contains("'..' component"), fsck.err());
    }

    @Test
    void fullLog() {
        try (Famfs fs = Famfs.open(dev, true);
             var session = io.famfs.log.MasterSession.begin(fs, java.util.UUID.fromString(Devices.MASTER))) {
            for (long i = fs.log().nextIndex(); i < fs.entryCapacity(); i++) {
                session.mkdir("d/" + i, 0755, 0, 0);
            }
        }
        refusedUnchanged("log full", "mkdir", "x");
        refusedUnchanged("log full", "creat", "-s", "1m", "x");
        Run.famfs("fsck", dev.toString()).ok();
    }

    @Test
    void fullDevice() {
        refusedUnchanged("device full", "creat", "-s", "4g", "huge");
        famfs("creat", "-s", "3g", "big").ok();
        refusedUnchanged("device full", "creat", "-s", "1g", "more");
        refusedUnchanged("device full", "creat", "-s", "600m", "-N", "2", "-B", "2", "more");
        Run.famfs("fsck", dev.toString()).ok();
    }

    @Test
    void clientCannotMutate() {
        Devices.actAs(Devices.CLIENT);
        refusedUnchanged("is a client", "mkdir", "x");
        refusedUnchanged("is a client", "creat", "-s", "1m", "x");
        refusedUnchanged("is a client", "clone", "d/f", "x");
        refusedUnchanged("is a client", "cp", dev.toString(), "x");
        // reading is fine
        famfs("verify", "-S", "9", "-f", "d/f").ok();
        Run fsck = Run.famfs("fsck", dev.toString()).ok();
        assertTrue(fsck.out().contains("role of this node: Client"), fsck.out());
    }

    @Test
    void notAFamfsAndBadDevices() {
        Path blank = Devices.create("blank", 4 * Devices.GIB);
        Path small = Devices.create("small", Devices.GIB);
        Path odd = Devices.create("odd", 4 * Devices.GIB + 4096);
        try {
            Run.famfs("fsck", blank.toString()).oneLineError("no famfs superblock");
            Run.famfs("logplay", "-n", "--device", blank.toString()).oneLineError("no famfs superblock");
            Run.famfs("mkfs", small.toString()).oneLineError("at least 4 GiB");
            Run.famfs("mkfs", odd.toString()).oneLineError("wrong alignment");
            Run.famfs("mkfs", "-l", "12m", blank.toString()).oneLineError("power of two");
            Run.famfs("mkfs", "/nonexistent/dax9.9").oneLineError("no such device");
            Run.famfs("fsck", "/nonexistent/dax9.9").oneLineError("no such device");
            Run.famfs("mkfs", "/dev/null").oneLineError("not a devdax device");
            Run.famfs("creat", "-s", "1m", "x").oneLineError("not in a famfs mount");
            Run.famfs("creat", "--device", dev.toString(), "-s", "zz", "x").oneLineError("not a size");
            Run.famfs("frobnicate").oneLineError("Unmatched argument");
        } finally {
            Devices.delete(blank);
            Devices.delete(small);
            Devices.delete(odd);
        }
    }
}
