package io.famfs.ras;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/**
 * Whether a device may still be touched. Like the kernel's famfs, which disables a whole
 * dax device on a memory error, the first fault quarantines the device: from then on
 * nothing reads or writes its memory (file I/O answers EIO, replay stops), while the
 * process, its other devices and unmounting carry on. Only an explicit {@link #clear}
 * (an administrator, after the cause is fixed, or a fresh mkfs) lifts it.
 */
public final class DeviceHealth {
    private static final Logger LOG = Logger.getLogger(DeviceHealth.class.getName());

    private final String device;
    private final AtomicReference<Fault> first = new AtomicReference<>();
    private final AtomicLong events = new AtomicLong();
    private final AtomicLong quarantines = new AtomicLong();

    public DeviceHealth(String device) {
        this.device = device;
    }

    public String device() {
        return device;
    }

    public boolean quarantined() {
        return first.get() != null;
    }

    /** The fault that quarantined the device, if it is quarantined. */
    public Optional<Fault> fault() {
        return Optional.ofNullable(first.get());
    }

    /** Faults seen, including those after the first. */
    public long events() {
        return events.get();
    }

    /** Times the device went from healthy to quarantined. */
    public long quarantines() {
        return quarantines.get();
    }

    /** Records a fault; the first one quarantines the device. */
    public void report(Fault.Kind kind, long deviceOffset, String detail) {
        events.incrementAndGet();
        Fault fault = new Fault(kind, deviceOffset, Instant.now(), detail);
        if (first.compareAndSet(null, fault)) {
            quarantines.incrementAndGet();
            LOG.severe(String.format("device %s QUARANTINED: %s at device offset 0x%x: %s", device, kind,
                    deviceOffset, detail));
        }
    }

    /**
     * Lifts the quarantine: an explicit administrative act, never automatic. A mount whose
     * file system changed under it stays down (its tree would point at other files' bytes).
     */
    public Optional<Fault> clear() {
        Fault current = first.get();
        if (current != null && current.kind() == Fault.Kind.FS_CHANGED) {
            throw new io.famfs.FamfsException("the file system changed under this mount (" + current.detail()
                    + "); unmount it and mount again to serve the new one");
        }
        Fault was = first.getAndSet(null);
        if (was != null) {
            LOG.warning("device " + device + ": quarantine cleared by an administrator (was " + was.kind() + ")");
        }
        return Optional.ofNullable(was);
    }
}
