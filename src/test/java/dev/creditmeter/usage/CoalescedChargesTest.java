package dev.creditmeter.usage;

import dev.creditmeter.Api;
import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many events at once through the one charge path (coalesced tracks, captures, a batch), over new and
 * hot accounts: each event charged exactly once with its own balance_after, and every table agrees.
 */
class CoalescedChargesTest extends ApiTest {

    private static final String TRACK = "/api/v1/credits/usage/track";

    @Autowired
    JdbcClient jdbc;

    @BeforeEach
    void keyKnown() {
        // The first use of a key reads it from the database; here the charges are under test, not that.
        assertThat(api.get(adminKey(), "/api/v1/credits/admin/ledger/verify").status()).isEqualTo(200);
    }

    @AfterEach
    void ledgerStaysConsistent() {
        assertLedgerConsistent();
    }

    @Test
    void concurrentEventsOfManyUsersAreEachChargedOnceWithTheirOwnBalance() throws Exception {
        List<String> users = IntStream.range(0, 6).mapToObj(i -> newUserId()).toList(); // new: opened by the charge
        int perUser = 20;
        // Event k of a user costs (k + 1) cents; every user also sends event "retry" four times.
        List<Api.Response> responses = inParallel(users.size() * (perUser + 4), i -> {
            String user = users.get(i % users.size());
            int k = i / users.size();
            String body = k < perUser
                    ? "{\"user_id\":\"%s\",\"service\":\"llm\",\"cost\":%s,\"event_id\":\"e%d\"}"
                    .formatted(user, cents(k + 1), k)
                    : "{\"user_id\":\"%s\",\"service\":\"llm\",\"cost\":0.5,\"event_id\":\"retry\"}".formatted(user);
            return api.post(adminKey(), TRACK, body);
        });

        assertThat(responses).allSatisfy(r -> assertThat(r.status()).as(r.body()).isEqualTo(200));
        for (String user : users) {
            var mine = responses.stream().filter(r -> r.json().path("user_id").asString().equals(user)).toList();
            var retries = mine.stream().filter(r -> r.json().path("event_id").asString().equals("retry")).toList();
            assertThat(retries).extracting(r -> r.json().path("id").asLong()).hasSize(4)
                    .containsOnly(retries.getFirst().json().path("id").asLong());

            // markup: 5 % under 0.001, 10 % under 0.01, else 15 %: all these costs take 15 %
            BigDecimal charged = IntStream.rangeClosed(1, perUser).mapToObj(k -> new BigDecimal(cents(k)))
                    .reduce(new BigDecimal("0.5"), BigDecimal::add).multiply(new BigDecimal("1.15"));
            assertThat(balanceOf(user).path("balance").decimalValue())
                    .isEqualByComparingTo(new BigDecimal("5").subtract(charged));
            assertThat(count("select count(*) from usage_events where user_id = ?", user)).isEqualTo(perUser + 1);
            assertThat(count("select count(*) from credit_transactions where user_id = ? and transaction_type = 'usage'",
                    user)).isEqualTo(perUser + 1);
            assertThat(count("select count(*) from credit_transactions where user_id = ? and transaction_type = 'purchase'",
                    user)).isEqualTo(1);
            assertThat(count("select coalesce(sum(calls), 0) from api_call_counts where user_id = ?", user))
                    .isEqualTo(perUser + 1);
            assertThat(count("select coalesce(sum(event_count), 0) from usage_rollups where user_id = ?", user))
                    .isEqualTo(perUser + 1);
            assertThat(count("select coalesce(sum(total_cost_micros), 0) from usage_rollups where user_id = ?", user))
                    .isEqualTo(charged.movePointRight(6).longValueExact());
            // Each answer's balance_after is its own ledger row's.
            Map<Long, Long> ledger = new HashMap<>();
            jdbc.sql("select usage_event_id, balance_after_micros from credit_transactions where user_id = ? and usage_event_id is not null")
                    .param(user).query((rs, n) -> ledger.put(rs.getLong(1), rs.getLong(2))).list();
            for (var r : mine) {
                assertThat(r.json().path("balance_after").decimalValue().movePointRight(6).longValueExact())
                        .isEqualTo(ledger.get(r.json().path("id").asLong()));
            }
        }
    }

    @Test
    void aHotAccountChargedFromTracksCapturesAndABatchAtOnceLosesNothing() throws Exception {
        String user = newUserId();
        allocate(user, "100");
        var holds = new ArrayList<Long>();
        for (int i = 0; i < 10; i++) {
            var hold = api.post(adminKey(), "/api/v1/credits/holds", "{\"user_id\":\"" + user + "\",\"amount\":1}");
            assertThat(hold.status()).as(hold.body()).isEqualTo(201);
            holds.add(hold.json().path("hold_id").asLong());
        }
        String batch = "{\"events\":[" + String.join(",", IntStream.range(0, 50).mapToObj(k ->
                "{\"user_id\":\"%s\",\"service\":\"llm\",\"cost\":0.01,\"event_id\":\"b%d\"}".formatted(user, k)).toList())
                + "]}";

        List<Api.Response> responses = inParallel(60, i -> {
            if (i < 10) {
                return api.post(adminKey(), "/api/v1/credits/holds/" + holds.get(i) + "/capture", "{\"amount\":0.5}");
            }
            if (i == 10) {
                return api.post(adminKey(), "/api/v1/credits/usage/events", batch);
            }
            return api.post(adminKey(), TRACK,
                    "{\"user_id\":\"%s\",\"service\":\"llm\",\"cost\":0.01,\"event_id\":\"t%d\"}".formatted(user, i));
        });

        assertThat(responses).allSatisfy(r -> assertThat(r.status()).as(r.body()).isEqualTo(200));
        assertThat(responses.get(10).json().path("results")).hasSize(50)
                .allSatisfy(result -> assertThat(result.path("status").asString()).isEqualTo("accepted"));
        // 105 - 10 × 0.5 - 99 × 0.0115
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("98.8615");
        assertThat(balanceOf(user).path("held").decimalValue()).isEqualByComparingTo("0");
        assertThat(count("select count(*) from credit_transactions where user_id = ? and transaction_type = 'usage'", user))
                .isEqualTo(109);
        assertThat(count("select coalesce(sum(calls), 0) from api_call_counts where user_id = ?", user)).isEqualTo(109);
        assertThat(count("select count(*) from credit_holds where user_id = ? and status = 'captured' and usage_event_id is not null",
                user)).isEqualTo(10);
    }

    private long count(String sql, String user) {
        return jdbc.sql(sql).param(user).query(Long.class).single();
    }

    private static String cents(int n) {
        return new BigDecimal(n).movePointLeft(2).toPlainString();
    }
}
