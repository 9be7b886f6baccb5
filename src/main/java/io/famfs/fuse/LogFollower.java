package io.famfs.fuse;

import io.famfs.log.ReplayReport;

import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Follows the log: a daemon thread that looks at {@code next_index} every
 * {@code pollMillis} (one load from the shared memory) and replays when it moved. A new
 * entry from any host therefore shows up on this mount within about one poll interval.
 */
final class LogFollower implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LogFollower.class.getName());

    private final MountedFs mounted;
    private final long pollMillis;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile String lastProblem;

    LogFollower(MountedFs mounted, long pollMillis) {
        this.mounted = mounted;
        this.pollMillis = Math.max(1, pollMillis);
        this.thread = Thread.ofPlatform().daemon().name("famfs-log-follower").unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    private void run() {
        long polls = 0;
        while (running) {
            try {
                if (++polls % Math.max(1, 1000 / pollMillis) == 0) {
                    mounted.checkBadblocks(); // about once a second
                }
                if (mounted.checkUnchanged() && mounted.logMoved()) {
                    report(mounted::replay);
                }
                Thread.sleep(pollMillis);
            } catch (InterruptedException e) {
                return;
            } catch (InternalError e) {
                // reading next_index faulted: the memory itself is bad
                mounted.health().report(io.famfs.ras.Fault.Kind.MEMORY_FAULT, io.famfs.format.Superblock.LOG_OFFSET,
                        "while following the log: " + e.getMessage());
                sleepQuietly();
            } catch (Throwable t) {
                // a bad log must not stop following: say it once and keep polling
                String problem = String.valueOf(t);
                if (!problem.equals(lastProblem)) {
                    LOG.log(Level.WARNING, "log follower: " + problem);
                    lastProblem = problem;
                }
                sleepQuietly();
            }
        }
    }

    private void report(Supplier<ReplayReport> replay) {
        ReplayReport r = replay.get();
        String problem = r.stopReason();
        if (problem != null && !problem.equals(lastProblem)) {
            LOG.warning("log follower: " + problem);
        }
        lastProblem = problem;
    }

    private void sleepQuietly() {
        try {
            Thread.sleep(pollMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
