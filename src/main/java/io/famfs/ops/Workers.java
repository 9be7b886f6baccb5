package io.famfs.ops;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.ArrayList;

/** Runs independent per-file jobs on {@code threads} threads and collects their results in order. */
public final class Workers {
    private Workers() {
    }

    public static int defaultThreads() {
        return Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors()));
    }

    public static <T, R> List<R> map(int threads, List<T> items, Function<T, R> job) {
        if (threads <= 1 || items.size() <= 1) {
            List<R> out = new ArrayList<>(items.size());
            for (T item : items) {
                out.add(job.apply(item));
            }
            return out;
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, items.size()))) {
            List<Future<R>> futures = new ArrayList<>(items.size());
            for (T item : items) {
                futures.add(pool.submit(() -> job.apply(item)));
            }
            List<R> out = new ArrayList<>(items.size());
            for (Future<R> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
