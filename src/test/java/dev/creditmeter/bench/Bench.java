package dev.creditmeter.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.time.Duration;

/** Closed-loop load: n clients each repeat an operation for a while; throughput and latency percentiles. */
final class Bench {

    private Bench() {
    }

    interface Operation {
        void run(int client) throws Exception;
    }

    record Result(String name, double perSecond, double p50Millis, double p99Millis) {
        String line() {
            return String.format(Locale.ROOT, "BENCHMARK %-40s %9.0f ops/s   p50 %7.2f ms   p99 %7.2f ms",
                    name, perSecond, p50Millis, p99Millis);
        }
    }

    static Result measure(String name, int clients, Duration duration, Operation operation) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long end = System.nanoTime() + duration.toNanos();
        long started = System.nanoTime();
        List<Future<long[]>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            futures.add(pool.submit(() -> {
                long[] latencies = new long[1 << 12];
                int n = 0;
                while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    operation.run(client);
                    if (n == latencies.length) {
                        latencies = Arrays.copyOf(latencies, n * 2);
                    }
                    latencies[n++] = System.nanoTime() - t0;
                }
                return Arrays.copyOf(latencies, n);
            }));
        }
        List<long[]> parts = new ArrayList<>();
        for (var future : futures) {
            parts.add(future.get());
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        pool.shutdown();
        long[] all = parts.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        return new Result(name, all.length / seconds, all[all.length / 2] / 1e6, all[(int) (all.length * 0.99)] / 1e6);
    }

    /** The median of each figure over several rounds. */
    static Result median(String name, List<Result> rounds) {
        double[] rate = rounds.stream().mapToDouble(Result::perSecond).sorted().toArray();
        double[] p50 = rounds.stream().mapToDouble(Result::p50Millis).sorted().toArray();
        double[] p99 = rounds.stream().mapToDouble(Result::p99Millis).sorted().toArray();
        return new Result(name, rate[rate.length / 2], p50[p50.length / 2], p99[p99.length / 2]);
    }
}
