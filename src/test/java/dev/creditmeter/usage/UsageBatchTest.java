package dev.creditmeter.usage;

import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.util.StringJoiner;

import static org.assertj.core.api.Assertions.assertThat;

class UsageBatchTest extends ApiTest {

    private static final String EVENTS = "/api/v1/credits/usage/events";

    @Autowired
    JdbcClient jdbc;

    @AfterEach
    void ledgerStaysConsistent() {
        assertLedgerConsistent();
    }

    @Test
    void appliesEachEventAndAnswersInRequestOrder() {
        String alice = newUserId();
        String bob = newUserId();
        String service = keyFor("batch-" + alice, "service");
        String body = "{\"events\":["
                + "{\"user_id\":\"" + alice + "\",\"event_id\":\"a1\",\"service\":\"chat\",\"cost\":1},"
                + "{\"user_id\":\"" + bob + "\",\"event_id\":\"b1\",\"service\":\"chat\",\"cost\":0.005},"
                + "{\"user_id\":\"" + alice + "\",\"event_id\":\"a1\",\"service\":\"chat\",\"cost\":1},"
                + "{\"user_id\":\"" + alice + "\",\"service\":\"chat\",\"cost\":1},"
                + "{\"user_id\":\"" + bob + "\",\"event_id\":\"b2\",\"service\":\"chat\",\"cost\":-1}]}";

        var response = api.post(service, EVENTS, body);

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        var results = response.json().path("results");
        assertThat(results.size()).isEqualTo(5);
        assertThat(results.get(0).path("status").asString()).isEqualTo("accepted");
        assertThat(results.get(0).path("event").path("total_cost").decimalValue()).isEqualByComparingTo("1.15");
        assertThat(results.get(1).path("status").asString()).isEqualTo("accepted");
        assertThat(results.get(1).path("event").path("user_id").asString()).isEqualTo(bob);
        assertThat(results.get(2).path("status").asString()).isEqualTo("duplicate");
        assertThat(results.get(2).path("event").path("id").asLong()).isEqualTo(results.get(0).path("event").path("id").asLong());
        assertThat(results.get(3).path("status").asString()).isEqualTo("rejected");
        assertThat(results.get(3).path("error").asString()).contains("event_id");
        assertThat(results.get(4).path("status").asString()).isEqualTo("rejected");
        assertThat(results.get(4).path("error").asString()).contains("cost");
        for (int i = 0; i < 5; i++) {
            assertThat(results.get(i).path("index").asInt()).isEqualTo(i);
        }
        assertThat(balanceOf(alice).path("balance").decimalValue()).isEqualByComparingTo("3.85");
        assertThat(balanceOf(bob).path("balance").decimalValue()).isEqualByComparingTo("4.9945");
    }

    @Test
    void moreThanAThousandEventsAreRefusedWhole() {
        String user = newUserId();
        var events = new StringJoiner(",", "{\"events\":[", "]}");
        for (int i = 0; i <= 1000; i++) {
            events.add("{\"user_id\":\"" + user + "\",\"event_id\":\"e" + i + "\",\"service\":\"s\",\"cost\":0.01}");
        }
        var response = api.post(adminKey(), EVENTS, events.toString());

        assertThat(response.status()).isEqualTo(422);
        assertThat(response.json().path("errors").get(0).path("field").asString()).isEqualTo("events");
        assertThat(jdbc.sql("select count(*) from usage_events where user_id = ?").param(user).query(Long.class).single())
                .isZero();
    }

    @Test
    void isForServicesAndAdminsOnly() {
        String user = newUserId();
        var response = api.post(keyFor(user, "user"), EVENTS, "{\"events\":[]}");
        assertThat(response.status()).isEqualTo(403);
        assertThat(response.detail()).isEqualTo("Admin access required");
    }
}
