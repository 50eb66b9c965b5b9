package dev.creditmeter.usage;

import dev.creditmeter.ApiTest;
import dev.creditmeter.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Summaries over windows that cut hours in two, so both the hourly rollup and the raw events at
 * the edges are exercised, for one user among others.
 */
class UsageSummariesTest extends ApiTest {

    private static final String USAGE = "/api/v1/credits/usage";

    @Autowired
    TestClock clock;

    private String user;
    private String userKey;

    @BeforeEach
    void recordEvents() {
        user = newUserId();
        userKey = keyFor(user, "user");
        String other = newUserId();
        at("2026-10-01T10:15:00Z", user, "{\"service\":\"chat\",\"model\":\"openai/gpt-4o\",\"tokens\":1000,\"cost\":1}");     // 1.15
        at("2026-10-01T12:00:00Z", user, "{\"service\":\"chat\",\"model\":\"anthropic/claude\",\"tokens\":300,\"cost\":0.5}"); // 0.575
        at("2026-10-01T12:40:00Z", other, "{\"service\":\"chat\",\"model\":\"openai/gpt-4o\",\"tokens\":5,\"cost\":9}");
        at("2026-10-02T23:59:59.500Z", user, "{\"service\":\"search\",\"tokens\":0,\"cost\":0.02}");                             // 0.023
        at("2026-10-03T00:00:00Z", user, "{\"service\":\"tts\",\"model\":\"voice, \\\"warm\\\"\",\"tokens\":100,\"is_free\":true}");
        clock.set(Instant.parse("2026-10-05T08:00:00Z"));
    }

    @AfterEach
    void resetClock() {
        clock.reset();
        assertLedgerConsistent();
    }

    private void at(String instant, String userId, String body) {
        clock.set(Instant.parse(instant));
        var response = api.post(adminKey(), USAGE + "/track", "{\"user_id\":\"" + userId + "\"," + body.substring(1));
        assertThat(response.status()).as(response.body()).isEqualTo(200);
    }

    private JsonNode get(String path) {
        var response = api.get(userKey, USAGE + path);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json();
    }

    @Test
    void summaryIncludesTheWholeEndDayAndOrdersServicesByCost() {
        var summary = get("/summary?start_date=2026-10-01&end_date=2026-10-02");

        assertThat(summary.path("total_events").asLong()).isEqualTo(3);
        assertThat(summary.path("total_tokens").asLong()).isEqualTo(1300);
        assertThat(summary.path("total_cost").decimalValue()).isEqualByComparingTo("1.748");
        assertThat(summary.path("free_tier_events").asLong()).isZero();
        assertThat(summary.path("paid_tier_events").asLong()).isEqualTo(3);
        List<String> services = new ArrayList<>(summary.path("services").propertyNames());
        assertThat(services).containsExactly("chat", "search");
        assertThat(summary.path("services").path("chat").path("event_count").asLong()).isEqualTo(2);
        assertThat(summary.path("services").path("chat").path("cost").decimalValue()).isEqualByComparingTo("1.725");
        assertThat(summary.path("period").path("start").asString()).isEqualTo("2026-10-01T00:00:00Z");
        assertThat(summary.path("period").path("end").asString()).isEqualTo("2026-10-02T23:59:59.999999Z");
    }

    @Test
    void windowEdgesInsideAnHourCountOnlyTheEventsInside() {
        var cut = get("/summary?start_date=2026-10-01T10:30:00Z&end_date=2026-10-02T23:59:59Z");
        assertThat(cut.path("total_events").asLong()).isEqualTo(1);
        assertThat(cut.path("total_cost").decimalValue()).isEqualByComparingTo("0.575");

        var withinOneHour = get("/summary?start_date=2026-10-01T10:00:00Z&end_date=2026-10-01T10:20:00Z");
        assertThat(withinOneHour.path("total_events").asLong()).isEqualTo(1);
        assertThat(withinOneHour.path("total_cost").decimalValue()).isEqualByComparingTo("1.15");

        var wholeHours = get("/summary?start_date=2026-10-01T10:00:00Z&end_date=2026-10-01T12:59:59.999999Z");
        assertThat(wholeHours.path("total_events").asLong()).isEqualTo(2);
    }

    @Test
    void anEmptyWindowHasZerosAndNoServices() {
        var empty = get("/summary?start_date=2026-09-01&end_date=2026-09-30");
        assertThat(empty.path("total_events").asLong()).isZero();
        assertThat(empty.path("total_cost").decimalValue()).isEqualByComparingTo("0");
        assertThat(empty.path("services").isEmpty()).isTrue();
    }

    @Test
    void byModelListsEventsWithAModelByCost() {
        var rows = get("/by-model");

        assertThat(rows.size()).isEqualTo(3);
        assertThat(rows.get(0).path("model").asString()).isEqualTo("openai/gpt-4o");
        assertThat(rows.get(0).path("service").asString()).isEqualTo("chat");
        assertThat(rows.get(0).path("event_count").asLong()).isEqualTo(1);
        assertThat(rows.get(0).path("total_tokens").asLong()).isEqualTo(1000);
        assertThat(rows.get(0).path("avg_tokens").decimalValue()).isEqualByComparingTo("1000");
        assertThat(rows.get(1).path("model").asString()).isEqualTo("anthropic/claude");
        assertThat(rows.get(2).path("free_events").asLong()).isEqualTo(1);
    }

    @Test
    void byServiceCountsModelsAndFreeEvents() {
        var rows = get("/by-service");

        assertThat(rows.size()).isEqualTo(3);
        assertThat(rows.get(0).path("service").asString()).isEqualTo("chat");
        assertThat(rows.get(0).path("unique_models").asLong()).isEqualTo(2);
        assertThat(rows.get(0).path("total_cost").decimalValue()).isEqualByComparingTo("1.725");
        assertThat(rows.get(1).path("service").asString()).isEqualTo("search");
        assertThat(rows.get(1).path("unique_models").asLong()).isZero();
        assertThat(rows.get(2).path("service").asString()).isEqualTo("tts");
        assertThat(rows.get(2).path("free_events").asLong()).isEqualTo(1);
    }

    @Test
    void freeTierCountsFreeEventsSinceTheFirstOfTheMonth() {
        var free = get("/free-tier");
        assertThat(free.path("total_free_events").asLong()).isEqualTo(1);
        assertThat(free.path("total_free_tokens").asLong()).isEqualTo(100);
        assertThat(free.path("unique_free_models").asLong()).isEqualTo(1);
        assertThat(free.path("models").get(0).path("tokens").asLong()).isEqualTo(100);
        assertThat(free.path("period").path("start").asString()).isEqualTo("2026-10-01T00:00:00Z");

        clock.set(Instant.parse("2026-11-02T00:00:00Z"));
        assertThat(get("/free-tier").path("total_free_events").asLong()).isZero();
    }

    @Test
    void dailyHasOneRowPerDayAndServiceOldestFirst() {
        var days = get("/daily?days=5");

        assertThat(days.size()).isEqualTo(3);
        assertThat(days.get(0).path("date").asString()).isEqualTo("2026-10-01");
        assertThat(days.get(0).path("service").asString()).isEqualTo("chat");
        assertThat(days.get(0).path("event_count").asLong()).isEqualTo(2);
        assertThat(days.get(0).path("tokens").asLong()).isEqualTo(1300);
        assertThat(days.get(0).path("cost").decimalValue()).isEqualByComparingTo("1.725");
        assertThat(days.get(1).path("date").asString()).isEqualTo("2026-10-02");
        assertThat(days.get(2).path("date").asString()).isEqualTo("2026-10-03");
        assertThat(get("/daily?days=2").size()).isZero();
        assertThat(api.get(userKey, USAGE + "/daily?days=0").status()).isEqualTo(422);
    }

    @Test
    void exportsTheCallersEventsAsCsvOldestFirst() {
        var csv = api.get(userKey, USAGE + "/export.csv?start_date=2026-10-01&end_date=2026-10-03");

        assertThat(csv.status()).isEqualTo(200);
        assertThat(csv.header("Content-Type")).startsWith("text/csv");
        String[] lines = csv.body().split("\n");
        assertThat(lines[0]).isEqualTo("id,created_at,event_id,service,model,tokens_used,input_tokens,output_tokens,"
                + "provider_cost,platform_markup,total_cost,is_free_tier,is_byok,pricing");
        assertThat(lines).hasSize(5);
        assertThat(lines[1]).contains(",2026-10-01T10:15:00Z,", ",chat,openai/gpt-4o,1000,,,1,0.15,1.15,false,false,event");
        assertThat(lines[3]).contains(",search,,0,");
        assertThat(lines[4]).contains(",tts,\"voice, \"\"warm\"\"\",100,");
    }

    @Test
    void rejectsWindowsThatDoNotParse() {
        for (String bad : List.of("start_date=yesterday", "end_date=2026-13-01", "start_date=2026-10-05&end_date=2026-10-01",
                "start_date=0001-01-01")) {
            var response = api.get(userKey, USAGE + "/summary?" + bad);
            assertThat(response.status()).as(bad).isEqualTo(422);
        }
    }
}
