package io.famfs.torture;

import io.famfs.log.Famfs;
import io.famfs.log.Replayer;
import io.famfs.namespace.FileData;
import io.famfs.namespace.Namespace;
import io.famfs.testing.Devices;
import io.famfs.testing.Run;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bulk creation that cannot finish (more files than room): only complete files are
 * logged, the command names every file it did not create and exits non-zero, and a
 * re-run changes nothing that was done and still says what is missing.
 */
class BulkCreateTest {
    private static final int FILES = 700;
    private java.nio.file.Path device;

    @BeforeEach
    void makeDevice() {
        Devices.actAs(Devices.MASTER);
        device = Devices.create("bulk", 4 * Devices.GIB); // room for about 510 files of 8 MiB
        Run.famfs("mkfs", device.toString()).ok();
    }

    @AfterEach
    void cleanup() {
        Devices.delete(device);
        System.clearProperty("FAMFS_SYSTEM_UUID");
    }

    private static long seed(int i) {
        return 1000 + i;
    }

    private String[] bulk() {
        List<String> args = new ArrayList<>(List.of("creat", "--device", device.toString(), "-t", "2"));
        for (int i = 0; i < FILES; i++) {
            args.addAll(List.of("-M", String.format("f%03d,8m,%d", i, seed(i))));
        }
        return args.toArray(String[]::new);
    }

    /** Names logged, after checking that each one has its bytes. */
    private List<String> loggedAndComplete() {
        try (Famfs fs = Famfs.open(device, false)) {
            Replayer r = new Replayer(fs);
            r.replay();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < FILES; i++) {
                Namespace.Node n = r.namespace().lookup(String.format("f%03d", i));
                if (n != null) {
                    Namespace.File f = assertInstanceOf(Namespace.File.class, n);
                    assertEquals(-1, new FileData(fs.device().memory(), f.meta()).verify(seed(i)),
                            f.name() + " is logged but does not hold its data");
                    names.add(f.name());
                }
            }
            return names;
        }
    }

    @Test
    void onlyCompleteFilesAreLoggedAndTheRestAreNamed() {
        Run first = Run.famfs(bulk()).expect(1);
        List<String> logged = loggedAndComplete();
        assertTrue(logged.size() > 400 && logged.size() < FILES, logged.size() + " files logged");
        for (int i = 0; i < FILES; i++) {
            String name = String.format("f%03d", i);
            boolean named = first.err().contains(name + ": ") && first.err().contains("device full");
            assertEquals(!logged.contains(name), first.err().contains(name + ":"), name + " in\n" + first.err());
            if (!logged.contains(name)) {
                assertTrue(named, name);
            }
        }
        assertTrue(first.err().contains((FILES - logged.size()) + " of " + FILES + " files not created"), first.err());
        Run.famfs("fsck", device.toString()).ok();
        // the same command again: what was done stays done (re-filled in place), nothing is doubled
        Run.famfs(bulk()).expect(1);
        assertEquals(logged, loggedAndComplete());
        Run.famfs("fsck", device.toString()).ok();
    }

    @Test
    void goodFilesBesideABadOneAreCreated() {
        Run r = Run.onDevice(device, "creat", "-M", "good,2m,5", "-M", "bad/x,2m,6", "-M", "good2,2m,7").expect(1);
        assertTrue(r.err().contains("bad/x"), r.err());
        Run.onDevice(device, "verify", "-S", "5", "-f", "good").ok();
        Run.onDevice(device, "verify", "-S", "7", "-f", "good2").ok();
        // re-creating an existing file: same size re-fills with the new seed; another size fails
        Run.onDevice(device, "creat", "-s", "2m", "-r", "-S", "9", "good").ok();
        Run.onDevice(device, "verify", "-S", "9", "-f", "good").ok();
        Run.onDevice(device, "creat", "-r", "-S", "10", "good").ok(); // no -s: the existing size
        Run.onDevice(device, "verify", "-S", "10", "-f", "good").ok();
        Run.onDevice(device, "creat", "-s", "4m", "good").oneLineError("exists with size");
        Run.onDevice(device, "creat", "-S", "3", "-M", "m,2m,4").oneLineError("--multi");
        Run.onDevice(device, "creat", "-t", "300", "-s", "2m", "t").oneLineError("thread count");
    }
}
