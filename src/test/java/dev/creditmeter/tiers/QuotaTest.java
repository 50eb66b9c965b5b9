package dev.creditmeter.tiers;

import dev.creditmeter.Api;
import dev.creditmeter.ApiTest;
import dev.creditmeter.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.StringJoiner;

import static org.assertj.core.api.Assertions.assertThat;

/** Call quotas per tier (contract §3, §5 "api_calls"): counted by charged events, enforced at admission. */
class QuotaTest extends ApiTest {

    private static final String HOLDS = "/api/v1/credits/holds";

    @Autowired
    TestClock clock;

    @AfterEach
    void resetClockAndCheckLedger() {
        clock.reset();
        assertLedgerConsistent();
    }

    /** Records {@code count} charged events for the user in one batch. */
    private void chargedEvents(String userId, int count) {
        var events = new StringJoiner(",", "{\"events\":[", "]}");
        for (int i = 0; i < count; i++) {
            events.add("{\"user_id\":\"" + userId + "\",\"event_id\":\"e" + i + "\",\"service\":\"chat\",\"cost\":0.0001}");
        }
        var response = api.post(adminKey(), "/api/v1/credits/usage/events", events.toString());
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        for (JsonNode result : response.json().path("results")) {
            assertThat(result.path("status").asString()).as(result.toString()).isEqualTo("accepted");
        }
    }

    private Api.Response hold(String token) {
        return api.post(token, HOLDS, "{\"amount\":0.01}");
    }

    private JsonNode apiCalls(String userId) {
        return balanceOf(userId).path("api_calls");
    }

    @Test
    void theHundredAndFirstCallOfATrialUserInAUtcDayIsRefusedWithTheRateLimitHeaders() {
        clock.set(Instant.parse("2021-06-10T20:00:00Z"));
        String user = newUserId();
        String token = keyFor(user, "user");
        chargedEvents(user, 99);

        var hundredth = hold(token);
        assertThat(hundredth.status()).as(hundredth.body()).isEqualTo(201);
        var captured = api.post(token, HOLDS + "/" + hundredth.json().path("hold_id").asLong() + "/capture",
                "{\"amount\":0.01}");
        assertThat(captured.status()).as(captured.body()).isEqualTo(200);

        var refused = hold(token);

        assertThat(refused.status()).as(refused.body()).isEqualTo(429);
        assertThat(refused.detail()).isEqualTo("API call quota exceeded");
        assertThat(refused.header("Retry-After")).isEqualTo("14400");
        assertThat(refused.header("X-RateLimit-Limit")).isEqualTo("100");
        assertThat(refused.header("X-RateLimit-Remaining")).isEqualTo("0");
        assertThat(refused.header("X-RateLimit-Reset"))
                .isEqualTo(Long.toString(Instant.parse("2021-06-11T00:00:00Z").getEpochSecond()));
        assertThat(balanceOf(user).path("held").decimalValue()).isEqualByComparingTo("0");
    }

    @Test
    void theDailyCountResetsAtTheUtcDayBoundary() {
        clock.set(Instant.parse("2021-06-10T23:59:00Z"));
        String user = newUserId();
        String token = keyFor(user, "user");
        chargedEvents(user, 100);
        assertThat(hold(token).status()).isEqualTo(429);

        clock.set(Instant.parse("2021-06-11T00:00:00Z"));
        var admitted = hold(token);

        assertThat(admitted.status()).as(admitted.body()).isEqualTo(201);
        api.post(token, HOLDS + "/" + admitted.json().path("hold_id").asLong() + "/release", "");
        assertThat(apiCalls(user).path("used").asLong()).isZero();
    }

    @Test
    void theBalanceShowsTheCallsUsedInTheWindow() {
        clock.set(Instant.parse("2021-06-10T12:30:00Z"));
        String user = newUserId();
        chargedEvents(user, 3);

        JsonNode calls = apiCalls(user);

        assertThat(calls.path("used").asLong()).isEqualTo(3);
        assertThat(calls.path("limit").asLong()).isEqualTo(100);
        assertThat(calls.path("period").asString()).isEqualTo("day");
        assertThat(calls.path("resets_at").asString()).isEqualTo("2021-06-11T00:00:00Z");
    }

    @Test
    void aMonthlyTierCountsOverTheAccountsPeriodAndEnterpriseIsUnlimited() {
        clock.set(Instant.parse("2021-07-10T12:30:00Z"));
        String starter = newUserId();
        String enterprise = newUserId();
        api.post(adminKey(), "/api/v1/credits/tiers/switch", "{\"user_id\":\"" + starter + "\",\"new_tier\":\"starter\"}");
        api.post(adminKey(), "/api/v1/credits/tiers/switch", "{\"user_id\":\"" + enterprise + "\",\"new_tier\":\"enterprise\"}");
        chargedEvents(starter, 2);
        clock.set(Instant.parse("2021-07-12T08:00:00Z"));
        chargedEvents(enterprise, 2);

        JsonNode starterCalls = apiCalls(starter);
        JsonNode enterpriseCalls = apiCalls(enterprise);

        assertThat(starterCalls.path("used").asLong()).as("a later day, the same period").isEqualTo(2);
        assertThat(starterCalls.path("limit").asLong()).isEqualTo(1000);
        assertThat(starterCalls.path("period").asString()).isEqualTo("month");
        assertThat(starterCalls.path("resets_at").asString()).isEqualTo("2021-08-10T12:30:00Z");
        assertThat(enterpriseCalls.path("used").asLong()).isEqualTo(2);
        assertThat(enterpriseCalls.path("limit").isNull()).isTrue();
        assertThat(hold(keyFor(enterprise, "user")).status()).isEqualTo(201);
    }
}
