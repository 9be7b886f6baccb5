package io.famfs.api;

import io.famfs.fuse.FuseServer;
import io.famfs.fuse.MountTable;
import io.famfs.fuse.MountedFs;
import io.smallrye.health.api.AsyncHealthCheck;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * SmallRye Health for the mount daemon: live while it answers; started once the mount
 * is up; ready while the device is mapped and healthy, its superblock and log valid,
 * and the FUSE mount answers. Each check says why it is down.
 */
@ApplicationScoped
public class HealthChecks {

    @Liveness
    HealthCheck live() {
        return () -> HealthCheckResponse.named("famfs-server").up()
                .withData("serving", ServedMount.mounted() != null).build();
    }

    @Startup
    HealthCheck started() {
        return () -> {
            FuseServer s = ServedMount.server();
            HealthCheckResponseBuilder b = HealthCheckResponse.named("famfs-mount");
            return s == null ? b.down().withData("reason", "mount not up yet").build()
                    : b.up().withData("mountPoint", s.mountPoint().toString()).build();
        };
    }

    @Readiness
    HealthCheck ready() {
        return () -> {
            HealthCheckResponseBuilder b = HealthCheckResponse.named("famfs-device");
            FuseServer s = ServedMount.server();
            if (s == null) {
                return b.down().withData("reason", "no famfs mount is served").build();
            }
            MountedFs m = s.mounted();
            b.withData("device", m.health().device()).withData("role", m.role().name().toLowerCase());
            if (m.health().quarantined()) {
                var f = m.health().fault().orElseThrow();
                return b.down().withData("reason", "device quarantined: " + f.kind() + " at device offset "
                        + String.format("0x%x", f.deviceOffset()) + " (" + f.time() + "): " + f.detail()).build();
            }
            String logProblem;
            try {
                var sb = m.famfs().superblock();
                var status = sb.check();
                if (!status.isValid()) {
                    return b.down().withData("reason", sb.describe(status)).build();
                }
                logProblem = m.famfs().logProblem();
            } catch (InternalError e) {
                m.health().report(io.famfs.ras.Fault.Kind.MEMORY_FAULT, 0, "health check: " + e.getMessage());
                return b.down().withData("reason", "memory error reading the superblock; device quarantined").build();
            }
            if (logProblem != null) {
                return b.down().withData("reason", logProblem).build();
            }
            if (!answers(s)) {
                return b.down().withData("reason", "FUSE mount " + s.mountPoint() + " does not answer").build();
            }
            return b.up().withData("lagEntries", m.lagEntries()).build();
        };
    }

    /** stat of the mount's superblock file within 2 s: the kernel and our server both answer. */
    private static boolean answers(FuseServer s) {
        if (!MountTable.isMounted(s.mountPoint())) {
            return false;
        }
        try {
            return CompletableFuture.supplyAsync(() -> Files.exists(s.mountPoint().resolve(".meta/.superblock")))
                    .get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            return false;
        }
    }
}
