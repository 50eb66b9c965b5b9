package dev.creditmeter.credits;

import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CreditRoutesTest extends ApiTest {

    private static final String CREDITS = "/api/v1/credits";

    @AfterEach
    void ledgerStaysConsistent() {
        assertLedgerConsistent();
    }

    @Test
    void firstBalanceProvisionsTheTrialAllowanceOnce() {
        String user = newUserId();
        String key = keyFor(user, "user");

        var first = api.get(key, CREDITS + "/balance");
        var second = api.get(key, CREDITS + "/balance");

        assertThat(first.status()).isEqualTo(200);
        var balance = first.json();
        assertThat(balance.path("user_id").asString()).isEqualTo(user);
        assertThat(balance.path("balance").decimalValue()).isEqualByComparingTo("5");
        assertThat(balance.path("available").decimalValue()).isEqualByComparingTo("5");
        assertThat(balance.path("held").decimalValue()).isEqualByComparingTo("0");
        assertThat(balance.path("allocated_monthly").decimalValue()).isEqualByComparingTo("5");
        assertThat(balance.path("allowance_remaining").decimalValue()).isEqualByComparingTo("5");
        assertThat(balance.path("bonus_credits").decimalValue()).isEqualByComparingTo("0");
        assertThat(balance.path("free_tier_used").decimalValue()).isEqualByComparingTo("0");
        assertThat(balance.path("tier").asString()).isEqualTo("trial");
        assertThat(balance.path("reset_date").asString()).endsWith("Z");
        assertThat(balance.path("created_at").asString()).endsWith("Z");
        assertThat(balance.path("last_updated").asString()).endsWith("Z");
        assertThat(second.json().path("balance").decimalValue()).isEqualByComparingTo("5");

        var ledger = api.get(key, CREDITS + "/transactions");
        assertThat(ledger.header("X-Total-Count")).isEqualTo("1");
        var purchase = ledger.json().get(0);
        assertThat(purchase.path("transaction_type").asString()).isEqualTo("purchase");
        assertThat(purchase.path("amount").decimalValue()).isEqualByComparingTo("5");
        assertThat(purchase.path("balance_after").decimalValue()).isEqualByComparingTo("5");
        assertThat(purchase.path("metadata").path("tier").asString()).isEqualTo("trial");
        assertThat(purchase.path("metadata").path("reason").asString()).isEqualTo("initial_allocation");
        assertThat(purchase.path("metadata").path("source").asString()).isEqualTo("trial_signup");
    }

    @Test
    void aBalanceIsJsonForEveryClientThatAcceptsJsonAndA406ForOneThatDoesNot() {
        String key = keyFor(newUserId(), "user");
        for (String accept : List.of("application/json", "*/*", "application/*", "text/html, application/json;q=0.5",
                "application/problem+json")) {
            var answer = api.get(key, CREDITS + "/balance", Map.of("Accept", accept));
            assertThat(answer.status()).as(accept).isEqualTo(200);
            assertThat(answer.header("Content-Type")).as(accept).isEqualTo("application/json");
            assertThat(answer.header("Content-Length")).as(accept)
                    .isEqualTo(String.valueOf(answer.body().getBytes(StandardCharsets.UTF_8).length));
            assertThat(answer.json().path("balance").decimalValue()).isEqualByComparingTo("5");
            assertThat(answer.json().path("api_calls").path("period").asString()).isEqualTo("day");
        }
        for (String accept : List.of("text/html", "application/xml", "application/yaml")) {
            var refused = api.get(key, CREDITS + "/balance", Map.of("Accept", accept));
            assertThat(refused.status()).as(accept).isEqualTo(406);
            assertThat(refused.header("Content-Type")).as(accept).isEqualTo("application/problem+json");
        }
    }

    @Test
    void transactionsDoNotProvision() {
        String user = newUserId();
        var response = api.get(adminKey(), CREDITS + "/transactions?user_id=" + user);
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("[]");
        assertThat(response.header("X-Total-Count")).isEqualTo("0");
        var deduct = deduct(adminKey(), user, "1", Map.of());
        assertThat(deduct.status()).isEqualTo(404);
    }

    @Test
    void allocateProvisionsAnUnknownUserAndAddsBonus() {
        String user = newUserId();
        var response = api.post(adminKey(), CREDITS + "/allocate",
                "{\"user_id\":\"" + user + "\",\"amount\":\"12.345678\",\"source\":\"stripe\",\"metadata\":{\"invoice\":\"in_1\",\"source\":\"spoof\"}}");

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.json().path("balance").decimalValue()).isEqualByComparingTo("17.345678");
        assertThat(response.json().path("bonus_credits").decimalValue()).isEqualByComparingTo("12.345678");
        assertThat(response.json().path("allowance_remaining").decimalValue()).isEqualByComparingTo("5");

        var rows = api.get(adminKey(), CREDITS + "/transactions?user_id=" + user).json();
        assertThat(rows.size()).isEqualTo(2);
        var allocation = rows.get(0);
        assertThat(allocation.path("transaction_type").asString()).isEqualTo("allocation");
        assertThat(allocation.path("amount").decimalValue()).isEqualByComparingTo("12.345678");
        assertThat(allocation.path("balance_after").decimalValue()).isEqualByComparingTo("17.345678");
        assertThat(allocation.path("metadata").path("source").asString()).isEqualTo("stripe");
        assertThat(allocation.path("metadata").path("invoice").asString()).isEqualTo("in_1");
    }

    @Test
    void deductTakesAllowanceFirstThenBonus() {
        String user = newUserId();
        allocate(user, "3");

        var response = api.post(adminKey(), CREDITS + "/deduct",
                "{\"user_id\":\"" + user + "\",\"amount\":6.5,\"service\":\"openrouter\",\"model\":\"gpt-4o\","
                        + "\"cost_breakdown\":{\"input\":0.5},\"metadata\":{\"request_id\":\"r1\"}}");

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        var balance = response.json();
        assertThat(balance.path("allowance_remaining").decimalValue()).isEqualByComparingTo("0");
        assertThat(balance.path("bonus_credits").decimalValue()).isEqualByComparingTo("1.5");
        assertThat(balance.path("balance").decimalValue()).isEqualByComparingTo("1.5");
        assertThat(balance.path("free_tier_used").decimalValue()).isEqualByComparingTo("6.5");

        var usage = api.get(adminKey(), CREDITS + "/transactions?transaction_type=usage&user_id=" + user);
        assertThat(usage.header("X-Total-Count")).isEqualTo("1");
        var row = usage.json().get(0);
        assertThat(row.path("amount").decimalValue()).isEqualByComparingTo("-6.5");
        assertThat(row.path("balance_after").decimalValue()).isEqualByComparingTo("1.5");
        assertThat(row.path("service").asString()).isEqualTo("openrouter");
        assertThat(row.path("model").asString()).isEqualTo("gpt-4o");
        assertThat(row.path("cost_breakdown").path("input").decimalValue()).isEqualByComparingTo("0.5");
        assertThat(row.path("metadata").path("request_id").asString()).isEqualTo("r1");
    }

    @Test
    void rejectsDeductionBeyondBalanceAndChangesNothing() {
        String user = newUserId();
        allocate(user, "2.5");

        var response = deduct(adminKey(), user, "10", Map.of());

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.detail()).isEqualTo("Insufficient credits. Required: 10, Available: 7.5");
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("7.5");
        assertThat(api.get(adminKey(), CREDITS + "/transactions?transaction_type=usage&user_id=" + user).body())
                .isEqualTo("[]");
    }

    @Test
    void deductAndRefundOfAnUnknownUserAre404() {
        String user = newUserId();
        var deduct = deduct(adminKey(), user, "1", Map.of());
        var refund = api.post(adminKey(), CREDITS + "/refund",
                "{\"user_id\":\"" + user + "\",\"amount\":1,\"reason\":\"outage\"}");

        assertThat(deduct.status()).isEqualTo(404);
        assertThat(deduct.detail()).isEqualTo("User " + user + " does not have a credit account");
        assertThat(refund.status()).isEqualTo(404);
        assertThat(refund.detail()).isEqualTo("User " + user + " does not have a credit account");
        assertThat(api.get(adminKey(), CREDITS + "/transactions?user_id=" + user).body()).isEqualTo("[]");
    }

    @Test
    void refundAddsBonusWithItsReason() {
        String user = newUserId();
        balanceOf(user);

        var response = api.post(adminKey(), CREDITS + "/refund",
                "{\"user_id\":\"" + user + "\",\"amount\":0.000001,\"reason\":\"outage\",\"metadata\":{\"ticket\":7}}");

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.json().path("balance").decimalValue()).isEqualByComparingTo("5.000001");
        var row = api.get(adminKey(), CREDITS + "/transactions?limit=1&user_id=" + user).json().get(0);
        assertThat(row.path("transaction_type").asString()).isEqualTo("refund");
        assertThat(row.path("metadata").path("reason").asString()).isEqualTo("outage");
        assertThat(row.path("metadata").path("ticket").asInt()).isEqualTo(7);
    }

    @Test
    void transactionsPageNewestFirstWithFiltersAndBounds() {
        String user = newUserId();
        for (int i = 1; i <= 5; i++) {
            allocate(user, Integer.toString(i));
        }
        String base = CREDITS + "/transactions?user_id=" + user;

        var page = api.get(adminKey(), base + "&limit=2&offset=1");
        assertThat(page.header("X-Total-Count")).isEqualTo("6");
        assertThat(page.json().size()).isEqualTo(2);
        assertThat(page.json().get(0).path("amount").decimalValue()).isEqualByComparingTo("4");
        assertThat(page.json().get(1).path("amount").decimalValue()).isEqualByComparingTo("3");

        var allocations = api.get(adminKey(), base + "&transaction_type=allocation&limit=500");
        assertThat(allocations.header("X-Total-Count")).isEqualTo("5");
        var unknownType = api.get(adminKey(), base + "&transaction_type=nonsense");
        assertThat(unknownType.status()).isEqualTo(200);
        assertThat(unknownType.body()).isEqualTo("[]");
        assertThat(api.get(adminKey(), base + "&offset=100").body()).isEqualTo("[]");

        for (String bad : new String[]{"limit=0", "limit=501", "limit=-1", "offset=-1", "limit=abc", "limit=1e3"}) {
            var response = api.get(adminKey(), base + "&" + bad);
            assertThat(response.status()).as(bad).isEqualTo(422);
            assertThat(response.json().path("errors").get(0).path("field").asString()).as(bad)
                    .isEqualTo(bad.substring(0, bad.indexOf('=')));
        }
    }

    @Test
    void moneyIsPlainDecimalRoundedHalfEvenOnce() {
        String user = newUserId();
        allocate(user, "\"0.0000025\"");   // 2.5 micros -> 2 (half-even)
        allocate(user, "0.0000035");       // 3.5 micros -> 4
        var balance = balanceOf(user);
        assertThat(balance.path("balance").asString()).isEqualTo("5.000006");
        assertThat(api.get(adminKey(), CREDITS + "/balance?user_id=" + user).body()).doesNotContain("E-");
    }
}
