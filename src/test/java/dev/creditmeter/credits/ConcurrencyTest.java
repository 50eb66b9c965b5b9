package dev.creditmeter.credits;

import dev.creditmeter.Api;
import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import tools.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Many clients at once on one account: exact outcomes, and the ledger agrees with every balance. */
class ConcurrencyTest extends ApiTest {

    @Autowired
    JdbcClient jdbc;

    @AfterEach
    void ledgerStaysConsistent() {
        assertLedgerConsistent();
    }

    @Test
    void parallelDeductsNeverOverdraw() throws Exception {
        String user = newUserId();
        allocate(user, "5"); // 5 trial allowance + 5 bonus = 10

        List<Api.Response> responses = inParallel(20, i -> deduct(adminKey(), user, "1", Map.of()));

        assertThat(responses).filteredOn(r -> r.status() == 200).hasSize(10);
        assertThat(responses).filteredOn(r -> r.status() == 400).hasSize(10)
                .allSatisfy(r -> assertThat(r.detail()).startsWith("Insufficient credits. Required: 1, Available: "));
        var balance = balanceOf(user);
        assertThat(balance.path("balance").decimalValue()).isEqualByComparingTo("0");
        assertThat(balance.path("free_tier_used").decimalValue()).isEqualByComparingTo("10");
        assertThat(usageRows(user)).isEqualTo(10);
    }

    @Test
    void interleavedAllocationsAndDeductsLoseNoUpdate() throws Exception {
        String user = newUserId();
        allocate(user, "5");

        List<Api.Response> responses = inParallel(20, i -> i % 2 == 0
                ? allocate(user, "1")
                : deduct(adminKey(), user, "1", Map.of()));

        assertThat(responses).allSatisfy(r -> assertThat(r.status()).as(r.body()).isEqualTo(200));
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("10");
        assertThat(jdbc.sql("select count(*) from credit_transactions where user_id = ?").param(user)
                .query(Long.class).single()).isEqualTo(1 + 1 + 20);
    }

    @Test
    void parallelFirstBalancesProvisionOnce() throws Exception {
        String user = newUserId();
        String key = keyFor(user, "user");

        List<Api.Response> responses = inParallel(40, i -> api.get(key, "/api/v1/credits/balance"));

        assertThat(responses).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().path("balance").decimalValue()).isEqualByComparingTo("5");
        });
        assertThat(jdbc.sql("select count(*) from credit_accounts where user_id = ?").param(user)
                .query(Long.class).single()).isEqualTo(1);
        assertThat(jdbc.sql("select count(*) from credit_transactions where user_id = ? and transaction_type = 'purchase'")
                .param(user).query(Long.class).single()).isEqualTo(1);
    }

    @Test
    void parallelRetriesWithOneIdempotencyKeyChargeOnce() throws Exception {
        String user = newUserId();
        allocate(user, "5");
        var headers = Map.of("Idempotency-Key", "retry-" + user);

        List<Api.Response> responses = inParallel(50, i -> deduct(adminKey(), user, "2.5", headers));

        assertThat(responses).allSatisfy(r -> {
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(responses.getFirst().body());
        });
        assertThat(responses).filteredOn(r -> "true".equals(r.header("Idempotent-Replayed"))).hasSize(49);
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("7.5");
        assertThat(usageRows(user)).isEqualTo(1);
    }

    @Test
    void oneAccountsLedgerIsOneChainInIdAndTimeOrder() throws Exception {
        String user = newUserId();
        allocate(user, "25"); // 30 in all: even twenty deducts first cannot be refused

        List<Api.Response> responses = inParallel(40, i -> i % 2 == 0
                ? allocate(user, "1")
                : deduct(adminKey(), user, "1", Map.of()));
        assertThat(responses).allSatisfy(r -> assertThat(r.status()).as(r.body()).isEqualTo(200));

        var ledger = api.get(adminKey(), "/api/v1/credits/transactions?limit=500&user_id=" + user).json();
        List<JsonNode> byId = new ArrayList<>();
        ledger.forEach(byId::add);
        Collections.reverse(byId); // the route answers newest first
        assertThat(byId).hasSize(2 + 40);
        List<JsonNode> byTime = byId.stream()
                .sorted(Comparator.comparing((JsonNode row) -> Instant.parse(row.path("created_at").asString()))
                        .thenComparing(row -> row.path("id").asLong()))
                .toList();
        assertThat(byTime).as("created_at order is id order").extracting(row -> row.path("id").asLong())
                .containsExactlyElementsOf(byId.stream().map(row -> row.path("id").asLong()).toList());
        BigDecimal previous = BigDecimal.ZERO;
        for (JsonNode row : byId) {
            assertThat(row.path("balance_after").decimalValue()).as("row %s", row)
                    .isEqualByComparingTo(previous.add(row.path("amount").decimalValue()));
            previous = row.path("balance_after").decimalValue();
        }
        assertThat(previous).isEqualByComparingTo(balanceOf(user).path("balance").decimalValue());
    }

    private long usageRows(String user) {
        return jdbc.sql("select count(*) from credit_transactions where user_id = ? and transaction_type = 'usage'")
                .param(user).query(Long.class).single();
    }
}
