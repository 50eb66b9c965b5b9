package dev.creditmeter.credits;

import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import javax.sql.DataSource;
import java.sql.Connection;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class IdempotencyTest extends ApiTest {

    private static final String CREDITS = "/api/v1/credits";

    @Autowired
    DataSource dataSource;

    @AfterEach
    void ledgerStaysConsistent() {
        assertLedgerConsistent();
    }

    @Test
    void replaysTheStoredAnswerByteForByte() {
        String user = newUserId();
        String body = "{\"user_id\":\"" + user + "\",\"amount\":1.25,\"source\":\"stripe\"}";
        var headers = Map.of("Idempotency-Key", "alloc-" + user);

        var first = api.post(adminKey(), CREDITS + "/allocate", body, headers);
        var again = api.post(adminKey(), CREDITS + "/allocate", body, headers);

        assertThat(first.status()).isEqualTo(200);
        assertThat(first.header("Idempotent-Replayed")).isNull();
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("6.25");
    }

    @Test
    void sameKeyWithAnotherBodyIs422AndChangesNothing() {
        String user = newUserId();
        var headers = Map.of("Idempotency-Key", "k-" + user);
        api.post(adminKey(), CREDITS + "/allocate", "{\"user_id\":\"" + user + "\",\"amount\":1,\"source\":\"a\"}", headers);

        var other = api.post(adminKey(), CREDITS + "/allocate",
                "{\"user_id\":\"" + user + "\",\"amount\":2,\"source\":\"a\"}", headers);
        var otherRoute = api.post(adminKey(), CREDITS + "/refund",
                "{\"user_id\":\"" + user + "\",\"amount\":1,\"reason\":\"a\"}", headers);

        assertThat(other.status()).isEqualTo(422);
        assertThat(otherRoute.status()).isEqualTo(422);
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("6");
    }

    @Test
    void businessRefusalsAreStoredAndReplayed() {
        String user = newUserId();
        balanceOf(user);
        var headers = Map.of("Idempotency-Key", "d-" + user);

        var refused = deduct(adminKey(), user, "9", headers);
        allocate(user, "10");
        var retried = deduct(adminKey(), user, "9", headers);

        assertThat(refused.status()).isEqualTo(400);
        assertThat(retried.status()).isEqualTo(400);
        assertThat(retried.body()).isEqualTo(refused.body());
        assertThat(retried.header("Content-Type")).startsWith("application/problem+json");
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("15");
    }

    @Test
    void keysAreScopedToTheCaller() {
        String user = newUserId();
        String service = keyFor("billing-" + user, "service");
        var headers = Map.of("Idempotency-Key", "shared-" + user);
        String body = "{\"user_id\":\"" + user + "\",\"amount\":1,\"source\":\"a\"}";

        var byAdmin = api.post(adminKey(), CREDITS + "/allocate", body, headers);
        var byService = api.post(service, CREDITS + "/allocate", body, headers);

        assertThat(byAdmin.status()).isEqualTo(200);
        assertThat(byService.status()).isEqualTo(200);
        assertThat(byService.header("Idempotent-Replayed")).isNull();
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("7");
    }

    @Test
    void answers409WhileTheFirstRequestIsStillRunning() throws Exception {
        String user = newUserId();
        allocate(user, "1");
        String key = "running-" + user;
        try (Connection other = dataSource.getConnection()) {
            // Another node has claimed the key and not committed yet.
            other.setAutoCommit(false);
            try (var insert = other.prepareStatement("""
                    insert into idempotency_keys (caller, key, request_hash, status_code, content_type, response_body)
                    values ('admin:admin', ?, ''::bytea, 0, '', ''::bytea)""")) {
                insert.setString(1, key);
                insert.executeUpdate();
            }

            var response = deduct(adminKey(), user, "1", Map.of("Idempotency-Key", key));

            assertThat(response.status()).isEqualTo(409);
            assertThat(response.detail()).contains("still being processed");
            other.rollback();
        }
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("6");
        var after = deduct(adminKey(), user, "1", Map.of("Idempotency-Key", key));
        assertThat(after.status()).isEqualTo(200);
        assertThat(after.json().path("balance").decimalValue()).isEqualByComparingTo("5");
    }

    /**
     * Found by the reliability harness (pool-exhaustion): a request whose account another transaction kept locked
     * waited the idempotency wait and then was told that its key was "still being processed", which it was not.
     * It is a 503 (busy, retry), the key is free again, and the retry is charged once.
     */
    @Test
    void aLockedAccountIsBusyNotAKeyStillBeingProcessed() throws Exception {
        String user = newUserId();
        allocate(user, "1");
        String key = "locked-" + user;
        try (Connection other = dataSource.getConnection()) {
            other.setAutoCommit(false);
            try (var lock = other.prepareStatement("select 1 from credit_accounts where user_id = ? for update")) {
                lock.setString(1, user);
                lock.executeQuery().close();
            }

            var keyed = deduct(adminKey(), user, "1", Map.of("Idempotency-Key", key));
            var unkeyed = deduct(adminKey(), user, "1", Map.of());

            for (var response : java.util.List.of(keyed, unkeyed)) {
                assertThat(response.status()).as(response.body()).isEqualTo(503);
                assertThat(response.detail()).isEqualTo("The service is busy; retry shortly");
                assertThat(response.header("Retry-After")).isEqualTo("1");
            }
            other.rollback();
        }
        var retried = deduct(adminKey(), user, "1", Map.of("Idempotency-Key", key));
        var replayed = deduct(adminKey(), user, "1", Map.of("Idempotency-Key", key));
        assertThat(retried.status()).isEqualTo(200);
        assertThat(replayed.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("5");
    }
}
