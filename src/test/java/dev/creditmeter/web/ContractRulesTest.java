package dev.creditmeter.web;

import dev.creditmeter.ApiTest;
import dev.creditmeter.FakeOpenRouter;
import dev.creditmeter.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.StringJoiner;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rules of the contract that hold on every route alike: who a user-scoped route acts on, what a reused
 * Idempotency-Key answers, that a stored answer wins over today's limits, and what an empty window is.
 */
class ContractRulesTest extends ApiTest {

    private static final String CREDITS = "/api/v1/credits";

    @Autowired
    JdbcClient jdbc;

    @Autowired
    TestClock clock;

    @AfterEach
    void ledgerStaysConsistent() {
        clock.reset();
        assertLedgerConsistent();
    }

    @Test
    void anAdminReadsAndDeletesTheOpenRouterAccountOfTheUserItNames() {
        String user = newUserId();
        String apiKey = "sk-or-v1-" + UUID.randomUUID().toString().replace("-", "") + "canary";
        FakeOpenRouter.registerKey(apiKey, "named-by-admin", "1");
        var created = api.post(keyFor(user, "user"), CREDITS + "/openrouter/create-account",
                "{\"api_key\":\"" + apiKey + "\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(200);

        var read = api.get(adminKey(), CREDITS + "/openrouter/account?user_id=" + user);

        assertThat(read.status()).as(read.body()).isEqualTo(200);
        assertThat(read.json().path("user_id").asString()).isEqualTo(user);
        assertThat(read.json().path("account_id").asString()).isEqualTo("named-by-admin");
        String service = keyFor("svc-" + newUserId(), "service");
        assertThat(api.get(service, CREDITS + "/openrouter/account?user_id=" + user).json().path("user_id").asString())
                .isEqualTo(user);
        assertThat(api.delete(adminKey(), CREDITS + "/openrouter/account?user_id=" + user).status()).isEqualTo(200);
        assertThat(api.get(adminKey(), CREDITS + "/openrouter/account?user_id=" + user).body()).isEqualTo("null");
    }

    @Test
    void aUsersOwnUserIdOnAnOpenRouterRouteIsIgnored() {
        String user = newUserId();
        String other = newUserId();
        String apiKey = "sk-or-v1-" + UUID.randomUUID().toString().replace("-", "") + "canary";
        FakeOpenRouter.registerKey(apiKey, "others", "1");
        api.post(keyFor(other, "user"), CREDITS + "/openrouter/create-account", "{\"api_key\":\"" + apiKey + "\"}");

        var read = api.get(keyFor(user, "user"), CREDITS + "/openrouter/account?user_id=" + other);

        assertThat(read.status()).isEqualTo(200);
        assertThat(read.body()).isEqualTo("null");
    }

    @Test
    void trackWithAnIdempotencyKeyUsedForAnotherBodyIsRefused() {
        String user = newUserId();
        var key = Map.of("Idempotency-Key", "track-" + user);
        var first = api.post(adminKey(), CREDITS + "/usage/track",
                "{\"user_id\":\"" + user + "\",\"service\":\"llm\",\"cost\":0.01}", key);
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        String balance = balanceOf(user).path("balance").asString();

        var again = api.post(adminKey(), CREDITS + "/usage/track",
                "{\"user_id\":\"" + user + "\",\"service\":\"llm\",\"cost\":0.01}", key);
        var other = api.post(adminKey(), CREDITS + "/usage/track",
                "{\"user_id\":\"" + user + "\",\"service\":\"llm\",\"cost\":0.5}", key);

        assertThat(again.status()).isEqualTo(200);
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(other.status()).as(other.body()).isEqualTo(422);
        assertThat(other.json().path("errors").get(0).path("field").asString()).isEqualTo("Idempotency-Key");
        assertThat(balanceOf(user).path("balance").asString()).isEqualTo(balance);
    }

    @Test
    void aRetriedHoldGetsItsStoredAnswerAfterTheQuotaIsSpent() {
        String user = newUserId();
        String token = keyFor(user, "user");
        var key = Map.of("Idempotency-Key", "hold-" + user);
        var placed = api.post(token, CREDITS + "/holds", "{\"amount\":0.01}", key);
        assertThat(placed.status()).as(placed.body()).isEqualTo(201);
        spendTheDailyTrialQuota(user);
        assertThat(api.post(token, CREDITS + "/holds", "{\"amount\":0.01}").status()).isEqualTo(429);

        var retried = api.post(token, CREDITS + "/holds", "{\"amount\":0.01}", key);

        assertThat(retried.status()).as(retried.body()).isEqualTo(201);
        assertThat(retried.body()).isEqualTo(placed.body());
        assertThat(retried.header("Idempotent-Replayed")).isEqualTo("true");
    }

    @Test
    void aQuotaRefusalIsNotStoredUnderTheKey() {
        String user = newUserId();
        String token = keyFor(user, "user");
        spendTheDailyTrialQuota(user);
        var key = Map.of("Idempotency-Key", "later-" + user);
        assertThat(api.post(token, CREDITS + "/holds", "{\"amount\":0.01}", key).status()).isEqualTo(429);

        clock.set(clock.instant().plus(java.time.Duration.ofDays(1)));
        var nextDay = api.post(token, CREDITS + "/holds", "{\"amount\":0.01}", key);

        assertThat(nextDay.status()).as(nextDay.body()).isEqualTo(201);
    }

    @Test
    void aRetriedRedemptionGetsItsStoredAnswerAfterTheThrottleCloses() {
        String user = newUserId();
        String token = keyFor(user, "user");
        String code = "RETRY-" + UUID.randomUUID().toString().substring(0, 8).toUpperCase();
        assertThat(api.post(adminKey(), CREDITS + "/coupons/create",
                "{\"coupon_type\":\"credit_bonus\",\"value\":1,\"code\":\"" + code + "\"}").status()).isEqualTo(200);
        var key = Map.of("Idempotency-Key", "redeem-" + user);
        var redeemed = api.post(token, CREDITS + "/coupons/redeem", "{\"code\":\"" + code + "\"}", key);
        assertThat(redeemed.status()).as(redeemed.body()).isEqualTo(200);
        for (int i = 0; i < 11; i++) {
            api.post(token, CREDITS + "/coupons/redeem", "{\"code\":\"NOPE-" + i + "-" + user.hashCode() + "\"}");
        }
        assertThat(api.post(token, CREDITS + "/coupons/redeem", "{\"code\":\"" + code + "\"}").status()).isEqualTo(429);

        var retried = api.post(token, CREDITS + "/coupons/redeem", "{\"code\":\"" + code + "\"}", key);

        assertThat(retried.status()).as(retried.body()).isEqualTo(200);
        assertThat(retried.body()).isEqualTo(redeemed.body());
    }

    @Test
    void aWindowInTheFutureIsEmptyNotAnError() {
        String user = newUserId();
        api.post(adminKey(), CREDITS + "/usage/track", "{\"user_id\":\"" + user + "\",\"service\":\"llm\",\"cost\":0.01}");
        String tomorrow = LocalDate.now(clock.withZone(ZoneOffset.UTC)).plusDays(1).toString();
        String query = "?user_id=" + user + "&start_date=" + tomorrow;

        var summary = api.get(adminKey(), CREDITS + "/usage/summary" + query);
        assertThat(summary.status()).as(summary.body()).isEqualTo(200);
        assertThat(summary.json().path("total_events").asLong()).isZero();
        assertThat(summary.json().path("services").isEmpty()).isTrue();
        var byModel = api.get(adminKey(), CREDITS + "/usage/by-model" + query);
        assertThat(byModel.status()).isEqualTo(200);
        assertThat(byModel.json().isEmpty()).isTrue();
        assertThat(api.get(adminKey(), CREDITS + "/usage/by-service" + query).json().isEmpty()).isTrue();
        var csv = api.get(adminKey(), CREDITS + "/usage/export.csv" + query);
        assertThat(csv.status()).isEqualTo(200);
        assertThat(csv.body().strip().lines()).hasSize(1);

        var reversed = api.get(adminKey(), CREDITS + "/usage/summary" + query + "&end_date=2020-01-01");
        assertThat(reversed.status()).isEqualTo(422);
        assertThat(reversed.detail()).isEqualTo("start_date: must not be after end_date");
    }

    /** The trial tier allows 100 charged calls a UTC day. */
    private void spendTheDailyTrialQuota(String userId) {
        var events = new StringJoiner(",", "{\"events\":[", "]}");
        for (int i = 0; i < 100; i++) {
            events.add("{\"user_id\":\"" + userId + "\",\"event_id\":\"q" + i + "\",\"service\":\"chat\",\"cost\":0.0001}");
        }
        assertThat(api.post(adminKey(), CREDITS + "/usage/events", events.toString()).status()).isEqualTo(200);
    }
}
