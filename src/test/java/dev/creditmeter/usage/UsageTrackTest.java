package dev.creditmeter.usage;

import dev.creditmeter.Api;
import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class UsageTrackTest extends ApiTest {

    private static final String TRACK = "/api/v1/credits/usage/track";

    @Autowired
    JdbcClient jdbc;

    @AfterEach
    void ledgerStaysConsistent() {
        assertLedgerConsistent();
    }

    private Api.Response track(String userId, String json) {
        return api.post(adminKey(), TRACK, "{\"user_id\":\"" + userId + "\"," + json.substring(1));
    }

    @ParameterizedTest(name = "cost {0} -> rate {1}, markup {2}, total {3}")
    @CsvSource({
            "0.000999, 0.05, 0.00005,  0.001049",
            "0.001,    0.1,  0.0001,   0.0011",
            "0.009999, 0.1,  0.001,    0.010999",
            "0.01,     0.15, 0.0015,   0.0115",
            "2,        0.15, 0.3,      2.3",
            "0,        0.05, 0,        0"})
    void appliesTheMarkupBracketOfTheProviderCost(String cost, String rate, String markup, String total) {
        String user = newUserId();
        var response = track(user, "{\"service\":\"openrouter\",\"model\":\"openai/gpt-4o\",\"tokens\":10,\"cost\":" + cost + "}");

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        var event = response.json();
        assertThat(event.path("pricing").asString()).isEqualTo("event");
        assertThat(event.path("provider_cost").decimalValue()).isEqualByComparingTo(cost);
        assertThat(event.path("markup_rate").decimalValue()).isEqualByComparingTo(rate);
        assertThat(event.path("platform_markup").decimalValue()).isEqualByComparingTo(markup);
        assertThat(event.path("total_cost").decimalValue()).isEqualByComparingTo(total);
        assertThat(event.path("charged").decimalValue()).isEqualByComparingTo(total);
        assertThat(event.path("balance_after").decimalValue())
                .isEqualByComparingTo(new java.math.BigDecimal("5").subtract(new java.math.BigDecimal(total)));
        assertThat(balanceOf(user).path("balance").decimalValue())
                .isEqualByComparingTo(new java.math.BigDecimal("5").subtract(new java.math.BigDecimal(total)));
    }

    @Test
    void pricesFromTheCatalogueWithInputAndOutputTokens() {
        String user = newUserId();
        // gpt-4o-mini: 0.15 per million input, 0.60 per million output
        var event = track(user, "{\"service\":\"litellm\",\"model\":\"openai/gpt-4o-mini\",\"input_tokens\":1000,\"output_tokens\":500}").json();

        assertThat(event.path("pricing").asString()).isEqualTo("catalogue");
        assertThat(event.path("tokens_used").asLong()).isEqualTo(1500);
        assertThat(event.path("provider_cost").decimalValue()).isEqualByComparingTo("0.00045");
        assertThat(event.path("platform_markup").decimalValue()).isEqualByComparingTo("0.000022"); // 22.5 micros, half-even
        assertThat(event.path("total_cost").decimalValue()).isEqualByComparingTo("0.000472");
    }

    @Test
    void aTotalTokenCountIsPricedAtTheInputPrice() {
        var event = track(newUserId(), "{\"service\":\"litellm\",\"model\":\"openai/gpt-4o\",\"tokens\":1000}").json();
        assertThat(event.path("provider_cost").decimalValue()).isEqualByComparingTo("0.0025");
        assertThat(event.path("total_cost").decimalValue()).isEqualByComparingTo("0.00275");
    }

    @Test
    void freeModelsCostNothing() {
        String user = newUserId();
        var suffix = track(user, "{\"service\":\"openrouter\",\"model\":\"mistralai/mistral-7b:free\",\"tokens\":900,\"cost\":0.5}").json();
        var flagged = track(user, "{\"service\":\"tts\",\"model\":\"voice-1\",\"tokens\":10,\"cost\":0.5,\"is_free\":true}").json();
        var catalogue = track(user, "{\"service\":\"openrouter\",\"model\":\"meta-llama/llama-3.1-8b-instruct:free\",\"tokens\":5}").json();

        for (JsonNode event : List.of(suffix, flagged, catalogue)) {
            assertThat(event.path("is_free_tier").asBoolean()).isTrue();
            assertThat(event.path("total_cost").decimalValue()).isEqualByComparingTo("0");
            assertThat(event.path("markup_rate").decimalValue()).isEqualByComparingTo("0");
        }
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("5");
    }

    @Test
    void unknownModelsAreUnpricedNeverSilentlyFree() {
        String user = newUserId();
        var event = track(user, "{\"service\":\"openrouter\",\"model\":\"nobody/unknown-model\",\"tokens\":5000}").json();

        assertThat(event.path("pricing").asString()).isEqualTo("unpriced");
        assertThat(event.path("is_free_tier").asBoolean()).isFalse();
        assertThat(event.path("total_cost").decimalValue()).isEqualByComparingTo("0");
        var metrics = api.get(adminKey(), "/actuator/prometheus").body();
        assertThat(metrics).containsPattern("creditmeter_usage_unpriced_total [1-9]");
        var unpriced = api.get(adminKey(), "/api/v1/credits/admin/usage/unpriced").json();
        assertThat(unpriced.findValuesAsString("model")).contains("nobody/unknown-model");
        assertThat(api.get(keyFor(user, "user"), "/api/v1/credits/admin/usage/unpriced").status()).isEqualTo(403);
    }

    @Test
    void byokEventsAreMeteredButNotChargedTheProviderCost() {
        String user = newUserId();
        var event = track(user, "{\"service\":\"openrouter\",\"model\":\"openai/gpt-4o\",\"tokens\":100,\"cost\":0.5,\"is_byok\":true}").json();

        assertThat(event.path("is_byok").asBoolean()).isTrue();
        assertThat(event.path("provider_cost").decimalValue()).isEqualByComparingTo("0.5");
        assertThat(event.path("charged").decimalValue()).isEqualByComparingTo("0");
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("5");
    }

    @Test
    void consumedUsageIsChargedIntoDebtAndLaterCreditsRepayIt() {
        String user = newUserId();
        var event = track(user, "{\"service\":\"openrouter\",\"cost\":10}").json(); // 10 + 15 % = 11.5

        assertThat(event.path("balance_after").decimalValue()).isEqualByComparingTo("-6.5");
        var refused = deduct(adminKey(), user, "1", Map.of());
        assertThat(refused.status()).isEqualTo(400);
        assertThat(api.get(adminKey(), "/actuator/prometheus").body())
                .containsPattern("creditmeter_credits_insufficient_total\\{operation=\"deduct\"\\} [1-9]");
        assertThat(refused.detail()).isEqualTo("Insufficient credits. Required: 1, Available: -6.5");

        var repaid = allocate(user, "10").json();
        assertThat(repaid.path("balance").decimalValue()).isEqualByComparingTo("3.5");
        assertThat(repaid.path("bonus_credits").decimalValue()).isEqualByComparingTo("3.5");
    }

    @Test
    void aRepeatedEventIdAnswersTheOriginalEventAndChargesOnce() {
        String user = newUserId();
        String body = "{\"service\":\"openrouter\",\"cost\":1,\"event_id\":\"evt-1\"}";
        var first = track(user, body);
        var again = track(user, "{\"service\":\"openrouter\",\"cost\":2,\"event_id\":\"evt-1\"}");
        var byRequestId = track(user, "{\"service\":\"openrouter\",\"cost\":1,\"metadata\":{\"request_id\":\"req-9\"}}");
        var byRequestIdAgain = track(user, "{\"service\":\"openrouter\",\"cost\":1,\"metadata\":{\"request_id\":\"req-9\"}}");

        assertThat(again.status()).isEqualTo(200);
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(again.json().path("id").asLong()).isEqualTo(first.json().path("id").asLong());
        assertThat(again.json().path("total_cost").decimalValue()).isEqualByComparingTo("1.15");
        assertThat(again.json().path("balance_after").decimalValue()).isEqualByComparingTo("3.85");
        assertThat(byRequestIdAgain.json().path("id").asLong()).isEqualTo(byRequestId.json().path("id").asLong());
        assertThat(byRequestId.json().path("event_id").asString()).isEqualTo("req-9");
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("2.7");
    }

    @Test
    void theSameEventSentOneHundredTimesInParallelIsRecordedAndChargedOnce() throws Exception {
        String user = newUserId();
        String body = "{\"user_id\":\"" + user + "\",\"service\":\"openrouter\",\"cost\":0.01,\"event_id\":\"parallel\"}";
        List<Api.Response> responses = inParallel(100, i -> api.post(adminKey(), TRACK, body));

        assertThat(responses).allSatisfy(r -> assertThat(r.status()).as(r.body()).isEqualTo(200));
        assertThat(responses).extracting(r -> r.json().path("id").asLong()).containsOnly(responses.getFirst().json().path("id").asLong());
        assertThat(jdbc.sql("select count(*) from usage_events where user_id = ?").param(user).query(Long.class).single())
                .isEqualTo(1);
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("4.9885");
    }

    @Test
    void aUserTracksOnlyForItselfAndAServiceForAnyone() {
        String user = newUserId();
        String other = newUserId();
        String userKey = keyFor(user, "user");
        String serviceKey = keyFor("gateway-" + user, "service");

        var own = api.post(userKey, TRACK, "{\"user_id\":\"" + other + "\",\"service\":\"chat\",\"cost\":1}");
        var forOther = api.post(serviceKey, TRACK, "{\"user_id\":\"" + other + "\",\"service\":\"chat\",\"cost\":1}");

        assertThat(own.json().path("user_id").asString()).isEqualTo(user);
        assertThat(forOther.json().path("user_id").asString()).isEqualTo(other);
    }

    @Test
    void rejectsBadEventsWithTheFieldNamed() {
        String user = newUserId();
        balanceOf(user);
        for (String[] bad : new String[][]{
                {"{\"cost\":1}", "service"},
                {"{\"service\":\"x\",\"tokens\":-1}", "tokens"},
                {"{\"service\":\"x\",\"tokens\":1.5}", "tokens"},
                {"{\"service\":\"x\",\"input_tokens\":-3}", "input_tokens"},
                {"{\"service\":\"x\",\"cost\":-0.5}", "cost"},
                {"{\"service\":\"x\",\"cost\":\"abc\"}", "cost"},
                {"{\"service\":\"x\",\"event_id\":\"\"}", "event_id"}}) {
            var response = track(user, bad[0]);
            assertThat(response.status()).as(bad[0] + " " + response.body()).isEqualTo(422);
            assertThat(response.json().path("errors").get(0).path("field").asString()).as(bad[0]).isEqualTo(bad[1]);
        }
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("5");
    }
}
