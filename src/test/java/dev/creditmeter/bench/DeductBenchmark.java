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
import java.util.List;
import java.util.Locale;

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
        Bench.Operation overHttp = index -> {
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
        Bench.Operation balance = index -> {
            var response = httpClient.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                            + "/api/v1/credits/balance?user_id=" + users.get(index)))
                    .header("Authorization", "Bearer " + service).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(response.body());
            }
        };
        // The floor of the HTTP stack on this machine: a public route that touches no database.
        URI health = URI.create("http://127.0.0.1:" + port + "/actuator/health/liveness");
        Bench.Operation httpFloor = index -> {
            var response = httpClient.send(HttpRequest.newBuilder(health).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(response.body());
            }
        };
        Bench.Operation overJdbc = client -> {
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

        List<Bench.Result> httpRounds = new ArrayList<>();
        List<Bench.Result> jdbcRounds = new ArrayList<>();
        List<Bench.Result> floorRounds = new ArrayList<>();
        List<Bench.Result> balanceRounds = new ArrayList<>();
        Bench.measure("warm-up http", CLIENTS, WARMUP, overHttp);
        Bench.measure("warm-up jdbc", CLIENTS, WARMUP, overJdbc);
        Bench.measure("warm-up floor", CLIENTS, WARMUP, httpFloor);
        Bench.measure("warm-up balance", CLIENTS, WARMUP, balance);
        for (int round = 0; round < ROUNDS; round++) {
            jdbcRounds.add(Bench.measure("jdbc", CLIENTS, MEASURE, overJdbc));
            httpRounds.add(Bench.measure("http", CLIENTS, MEASURE, overHttp));
            floorRounds.add(Bench.measure("floor", CLIENTS, MEASURE, httpFloor));
            balanceRounds.add(Bench.measure("balance", CLIENTS, MEASURE, balance));
        }
        Bench.Result http = Bench.median("POST /deduct over HTTP", httpRounds);
        Bench.Result jdbc = Bench.median("same SQL over JDBC (baseline)", jdbcRounds);
        Bench.Result floor = Bench.median("GET /actuator/health/liveness", floorRounds);
        Bench.Result balanceResult = Bench.median("GET /balance over HTTP", balanceRounds);
        System.out.println();
        System.out.printf(Locale.ROOT, "BENCHMARK %d clients, %d rounds of %ds, medians%n", CLIENTS, ROUNDS, MEASURE.toSeconds());
        for (Bench.Result r : List.of(jdbc, http, floor, balanceResult)) {
            System.out.println(r.line());
        }
        System.out.printf(Locale.ROOT, "BENCHMARK deduct HTTP / JDBC throughput ratio: %.2f%n", http.perSecond() / jdbc.perSecond());
        System.out.printf(Locale.ROOT, "BENCHMARK deduct HTTP / HTTP floor throughput ratio: %.2f%n", http.perSecond() / floor.perSecond());
        System.out.printf(Locale.ROOT, "BENCHMARK balance / HTTP floor throughput ratio: %.2f%n",
                balanceResult.perSecond() / floor.perSecond());
        assertLedgerConsistent();
        assertThat(http.perSecond()).isPositive();
    }
}
