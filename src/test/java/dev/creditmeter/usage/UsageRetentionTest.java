package dev.creditmeter.usage;

import dev.creditmeter.ApiTest;
import dev.creditmeter.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class UsageRetentionTest extends ApiTest {

    @Autowired
    TestClock clock;

    @Autowired
    UsageRetention retention;

    @Autowired
    JdbcClient jdbc;

    @AfterEach
    void resetClock() {
        clock.reset();
        assertLedgerConsistent();
    }

    @Test
    void deletesRawEventsPastTheWindowAndKeepsTheRollups() {
        String user = newUserId();
        String key = keyFor(user, "user");
        clock.set(Instant.parse("2026-01-10T10:00:00Z"));
        api.post(key, "/api/v1/credits/usage/track", "{\"service\":\"chat\",\"model\":\"m\",\"tokens\":7,\"cost\":1}");
        clock.set(Instant.parse("2026-04-20T10:00:00Z"));
        api.post(key, "/api/v1/credits/usage/track", "{\"service\":\"chat\",\"model\":\"m\",\"tokens\":3,\"cost\":1}");

        assertThat(retention.deleteExpiredEvents()).isGreaterThanOrEqualTo(1);

        assertThat(jdbc.sql("select count(*) from usage_events where user_id = ?").param(user).query(Long.class).single())
                .isEqualTo(1);
        var january = api.get(key, "/api/v1/credits/usage/summary?start_date=2026-01-10&end_date=2026-01-10").json();
        assertThat(january.path("total_events").asLong()).isEqualTo(1);
        assertThat(january.path("total_tokens").asLong()).isEqualTo(7);
        assertThat(api.get(key, "/api/v1/credits/transactions?transaction_type=usage").header("X-Total-Count"))
                .as("the ledger is never trimmed").isEqualTo("2");
    }
}
