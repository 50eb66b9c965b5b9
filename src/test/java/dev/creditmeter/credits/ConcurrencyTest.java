package dev.creditmeter.credits;

import dev.creditmeter.Api;
import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

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

        List<Api.Response> responses = inParallel(10, i -> api.get(key, "/api/v1/credits/balance"));

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

    private long usageRows(String user) {
        return jdbc.sql("select count(*) from credit_transactions where user_id = ? and transaction_type = 'usage'")
                .param(user).query(Long.class).single();
    }
}
