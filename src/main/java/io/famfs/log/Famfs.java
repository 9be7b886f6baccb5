package io.famfs.log;

import io.famfs.FamfsException;
import io.famfs.device.MemoryDevice;
import io.famfs.format.LogEntry;
import io.famfs.format.LogHeader;
import io.famfs.format.Superblock;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An opened famfs: the mapped device, its superblock and its log. Opening validates the
 * superblock (as upstream's famfs_check_super) and the geometry it claims against the
 * real device, so nothing later can touch memory outside the mapping.
 */
public final class Famfs implements AutoCloseable {
    private final MemoryDevice device;
    private final Superblock superblock;
    private final LogHeader log;
    private final MemorySegment logRegion;
    /** Serialises this process's writers on this mapping; flock serialises processes. */
    private final ReentrantLock writerLock = new ReentrantLock();

    private Famfs(MemoryDevice device, Superblock superblock) {
        this.device = device;
        this.superblock = superblock;
        this.logRegion = device.memory().asSlice(Superblock.LOG_OFFSET, superblock.logLen());
        this.log = new LogHeader(logRegion);
    }

    /** Opens a device holding a famfs; a bad superblock or geometry is a one-line error. */
    public static Famfs open(Path devicePath, boolean writable) {
        MemoryDevice device = MemoryDevice.open(devicePath, writable);
        try {
            Superblock sb = new Superblock(device.memory());
            if (device.size() < Superblock.REGION_SIZE + LogHeader.MIN_LOG_LEN) {
                throw new FamfsException(devicePath + ": device too small to hold a famfs");
            }
            Superblock.Status status = sb.check();
            if (!status.isValid()) {
                throw new FamfsException(devicePath + ": " + sb.describe(status));
            }
            long logLen = sb.logLen();
            if (sb.logOffset() != Superblock.LOG_OFFSET || logLen < LogHeader.MIN_LOG_LEN
                    || Long.bitCount(logLen) != 1 || Superblock.LOG_OFFSET + logLen > device.size()) {
                throw new FamfsException(String.format("%s: superblock log geometry (offset 0x%x, length 0x%x) is invalid",
                        devicePath, sb.logOffset(), logLen));
            }
            // dd_size is a u64 outside the CRC: compare unsigned, or a corrupt one passes as negative
            if (Long.compareUnsigned(sb.deviceSize(), device.size()) > 0) {
                throw new FamfsException(devicePath + ": device is " + device.size()
                        + " bytes but its file system claims " + Long.toUnsignedString(sb.deviceSize()));
            }
            return new Famfs(device, sb);
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    public MemoryDevice device() {
        return device;
    }

    public Superblock superblock() {
        return superblock;
    }

    public LogHeader log() {
        return log;
    }

    /** The log region [0x200000, +log_len) of the device. */
    public MemorySegment logRegion() {
        return logRegion;
    }

    /** Null when the log header is valid, else why not. */
    public String logProblem() {
        return log.problem(superblock.logLen());
    }

    /** Fails with a one-line error unless the log header is valid. */
    public void requireValidLog() {
        String problem = logProblem();
        if (problem != null) {
            throw new FamfsException(device.path() + ": " + problem);
        }
    }

    public Role roleOf(UUID systemUuid) {
        return superblock.systemUuid().equals(systemUuid) ? Role.MASTER : Role.CLIENT;
    }

    ReentrantLock writerLock() {
        return writerLock;
    }

    /** Bytes of file data space: the device size as the superblock records it. */
    public long capacity() {
        return superblock.deviceSize();
    }

    public long entryCapacity() {
        return LogHeader.lastIndexFor(superblock.logLen()) + 1;
    }

    /** Reads entry {@code index}; see {@link LogReader}. */
    public LogEntry.Decoded readEntry(long index) {
        return LogReader.read(this, index);
    }

    @Override
    public void close() {
        device.close();
    }
}
