package dev.creditmeter.bench;

import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import javax.sql.DataSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * POST /deduct over HTTP with concurrent clients, against the same SQL issued straight through JDBC
 * with the same concurrency, measured in the same run. Run with:
 * {@code ./mvnw -B test -Dtest=DeductBenchmark -Dexcluded.groups=none}
 */
@Tag("benchmark")
class DeductBenchmark extends ApiTest {

    private static final int CLIENTS = 16;
    private static final Duration WARMUP = Duration.ofSeconds(5);
    private static final Duration MEASURE = Duration.ofSeconds(15);
    private static final int ROUNDS = 3;

    private static final String DEDUCT_SQL = """
            with changed as (
                update credit_accounts
                set allowance_micros      = allowance_micros - least(allowance_micros, ?),
                    bonus_micros          = bonus_micros - (? - least(allowance_micros, ?)),
                    free_tier_used_micros = free_tier_used_micros + ?,
                    updated_at            = now()
                where user_id = ? and allowance_micros + bonus_micros - held_micros >= ?
                returning user_id, allowance_micros + bonus_micros as balance
            ), entry as (
                insert into credit_transactions (user_id, amount_micros, balance_after_micros, transaction_type,
                                                 counterparty, service, metadata)
                select user_id, -?, balance, 'usage', 'bench', 'bench', '{}'::jsonb from changed
            )
            select balance from changed
            """;
    private static final String AUDIT_SQL = """
            insert into audit_log (actor, action, target_user_id, outcome, details)
            values ('bench', 'credit.deduct', ?, 'success', '{}'::jsonb)""";

    @Autowired
    DataSource dataSource;

    record Result(String name, double perSecond, double p50Millis, double p99Millis) {
    }

    interface Operation {
        void run(int client) throws Exception;
    }

    @Test
    void deductOverHttpAgainstPlainJdbc() throws Exception {
        String service = keyFor("bench-service", "service");
        List<String> users = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            String user = "bench-" + i + "-" + newUserId();
            allocate(user, "1000000");
            users.add(user);
        }
        HttpClient httpClient = HttpClient.newBuilder().build();
        URI deduct = URI.create("http://127.0.0.1:" + port + "/api/v1/credits/deduct");
        Operation overHttp = index -> {
            var request = HttpRequest.newBuilder(deduct)
                    .header("Authorization", "Bearer " + service)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"user_id\":\"" + users.get(index) + "\",\"amount\":0.000001,\"service\":\"bench\"}"))
                    .build();
            var response = httpClient.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(response.body());
            }
        };
        // The floor of the HTTP stack on this machine: a public route that touches no database.
        URI health = URI.create("http://127.0.0.1:" + port + "/actuator/health/liveness");
        Operation httpFloor = index -> {
            var response = httpClient.send(HttpRequest.newBuilder(health).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(response.body());
            }
        };
        Operation overJdbc = client -> {
            try (Connection connection = dataSource.getConnection()) {
                connection.setAutoCommit(false);
                try (PreparedStatement charge = connection.prepareStatement(DEDUCT_SQL);
                     PreparedStatement audit = connection.prepareStatement(AUDIT_SQL)) {
                    long micros = 1;
                    charge.setLong(1, micros);
                    charge.setLong(2, micros);
                    charge.setLong(3, micros);
                    charge.setLong(4, micros);
                    charge.setString(5, users.get(client));
                    charge.setLong(6, micros);
                    charge.setLong(7, micros);
                    try (var rs = charge.executeQuery()) {
                        if (!rs.next()) {
                            throw new IllegalStateException("not charged");
                        }
                    }
                    audit.setString(1, users.get(client));
                    audit.executeUpdate();
                }
                connection.commit();
            }
        };

        List<Result> httpRounds = new ArrayList<>();
        List<Result> jdbcRounds = new ArrayList<>();
        List<Result> floorRounds = new ArrayList<>();
        measure("warm-up http", overHttp, WARMUP);
        measure("warm-up jdbc", overJdbc, WARMUP);
        measure("warm-up floor", httpFloor, WARMUP);
        for (int round = 0; round < ROUNDS; round++) {
            jdbcRounds.add(measure("jdbc", overJdbc, MEASURE));
            httpRounds.add(measure("http", overHttp, MEASURE));
            floorRounds.add(measure("floor", httpFloor, MEASURE));
        }
        Result http = median("POST /deduct over HTTP", httpRounds);
        Result jdbc = median("same SQL over JDBC (baseline)", jdbcRounds);
        Result floor = median("GET /actuator/health/liveness", floorRounds);
        System.out.println();
        System.out.printf(Locale.ROOT, "BENCHMARK %d clients, %d rounds of %ds, medians%n", CLIENTS, ROUNDS, MEASURE.toSeconds());
        for (Result r : List.of(jdbc, http, floor)) {
            System.out.printf(Locale.ROOT, "BENCHMARK %-32s %9.0f ops/s   p50 %6.2f ms   p99 %6.2f ms%n",
                    r.name(), r.perSecond(), r.p50Millis(), r.p99Millis());
        }
        System.out.printf(Locale.ROOT, "BENCHMARK deduct HTTP / JDBC throughput ratio: %.2f%n", http.perSecond() / jdbc.perSecond());
        System.out.printf(Locale.ROOT, "BENCHMARK deduct HTTP / HTTP floor throughput ratio: %.2f%n", http.perSecond() / floor.perSecond());
        assertLedgerConsistent();
        assertThat(http.perSecond()).isPositive();
    }

    private static Result median(String name, List<Result> rounds) {
        double[] rate = rounds.stream().mapToDouble(Result::perSecond).sorted().toArray();
        double[] p50 = rounds.stream().mapToDouble(Result::p50Millis).sorted().toArray();
        double[] p99 = rounds.stream().mapToDouble(Result::p99Millis).sorted().toArray();
        return new Result(name, rate[rate.length / 2], p50[p50.length / 2], p99[p99.length / 2]);
    }

    private static Result measure(String name, Operation operation, Duration duration) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        long end = System.nanoTime() + duration.toNanos();
        long started = System.nanoTime();
        List<Future<long[]>> futures = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            futures.add(pool.submit(() -> {
                long[] latencies = new long[1 << 16];
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
        long[] all = new long[0];
        for (var future : futures) {
            long[] part = future.get();
            long[] merged = Arrays.copyOf(all, all.length + part.length);
            System.arraycopy(part, 0, merged, all.length, part.length);
            all = merged;
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        pool.shutdown();
        Arrays.sort(all);
        return new Result(name, all.length / seconds, all[all.length / 2] / 1e6, all[(int) (all.length * 0.99)] / 1e6);
    }
}
