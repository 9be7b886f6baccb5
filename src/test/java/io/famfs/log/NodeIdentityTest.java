package io.famfs.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

class NodeIdentityTest {
    @Test
    void createsTheUuidFileOnceAsUpstreamDoes(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("opt/famfs/system_uuid");
        UUID first = NodeIdentity.fromFile(file);
        assertEquals(first, NodeIdentity.fromFile(file));
        byte[] bytes = Files.readAllBytes(file);
        assertEquals(37, bytes.length); // 36 characters and a NUL
        assertEquals(0, bytes[36]);
        assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Files.writeString(file, "9b1c2a3e-1111-4222-8333-444455556666\n");
        assertEquals(UUID.fromString("9b1c2a3e-1111-4222-8333-444455556666"), NodeIdentity.fromFile(file));
    }
}
