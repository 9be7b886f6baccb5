package io.famfs.api;

import io.famfs.fuse.FuseStats;
import io.famfs.fuse.MountedFs;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.function.ToDoubleFunction;

/**
 * Prometheus metrics ({@code /q/metrics}) of the served mount. They read the server's
 * own counters when scraped, so the request path pays nothing for them.
 */
@ApplicationScoped
public class Metrics {
    void register(@Observes StartupEvent start, MeterRegistry registry) {
        gauge(registry, "famfs.replay.lag.entries", "Log entries published but not yet applied by this mount",
                MountedFs::lagEntries);
        gauge(registry, "famfs.replay.applied.entries", "Log entries applied by this mount", MountedFs::appliedIndex);
        gauge(registry, "famfs.log.entries.capacity", "Entry slots in the log", m -> m.famfs().entryCapacity());
        gauge(registry, "famfs.capacity.bytes", "Device capacity", m -> m.superblock().deviceSize());
        gauge(registry, "famfs.allocated.bytes", "Bytes allocated to files, superblock and log", MountedFs::allocatedBytesNow);
        gauge(registry, "famfs.files", "Files in the mount", m -> m.namespace().fileCount());
        gauge(registry, "famfs.device.quarantined", "1 when the device is quarantined", m -> m.health().quarantined() ? 1 : 0);
        counter(registry, "famfs.quarantine.events", "Memory errors seen (the first quarantines the device)",
                m -> m.health().events());
        counter(registry, "famfs.fuse.errors", "FUSE requests answered EIO", m -> m.stats().errors());
        counter(registry, "famfs.fuse.read.bytes", "Bytes read through the mount", m -> m.stats().bytesRead());
        counter(registry, "famfs.fuse.write.bytes", "Bytes written through the mount", m -> m.stats().bytesWritten());
        for (FuseStats.Op op : FuseStats.Op.values()) {
            FunctionCounter.builder("famfs.fuse.operations", op, o -> value(m -> m.stats().ops(o)))
                    .description("FUSE requests by kind").tag("op", op.name().toLowerCase()).register(registry);
        }
    }

    private static double value(ToDoubleFunction<MountedFs> f) {
        MountedFs m = ServedMount.mounted();
        return m == null ? Double.NaN : f.applyAsDouble(m);
    }

    private static void gauge(MeterRegistry r, String name, String help, ToDoubleFunction<MountedFs> f) {
        Gauge.builder(name, () -> value(f)).description(help).register(r);
    }

    private static void counter(MeterRegistry r, String name, String help, ToDoubleFunction<MountedFs> f) {
        FunctionCounter.builder(name, f, x -> value(x)).description(help).register(r);
    }
}
