package dev.creditmeter.events;

import dev.creditmeter.ApiTest;
import dev.creditmeter.credits.CreditService;
import dev.creditmeter.credits.Money;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The outbox: events written in the transaction of their change, thresholds, and polling them. */
class AccountEventsTest extends ApiTest {

    @Autowired
    CreditService credits;
    @Autowired
    TransactionTemplate transactions;

    private static final String EVENTS = "/api/v1/credits/events";
    private static final String THRESHOLDS = "/api/v1/credits/alerts/thresholds";

    /** A user with a balance of exactly {@code balance} credits and its own threshold. */
    private String userWith(String balance, String threshold) {
        String user = newUserId();
        BigDecimal signup = balanceOf(user).path("balance").decimalValue();
        BigDecimal top = new BigDecimal(balance).subtract(signup);
        if (top.signum() > 0) {
            assertThat(allocate(user, top.toPlainString()).status()).isEqualTo(200);
        } else if (top.signum() < 0) {
            assertThat(deduct(adminKey(), user, top.negate().toPlainString(), Map.of()).status()).isEqualTo(200);
        }
        var set = api.put(adminKey(), THRESHOLDS, "{\"user_id\":\"" + user + "\",\"low_balance\":" + threshold + "}");
        assertThat(set.status()).as(set.body()).isEqualTo(200);
        return user;
    }

    private List<JsonNode> events(String user, String type) {
        var response = api.get(adminKey(), EVENTS + "?user_id=" + user + (type == null ? "" : "&type=" + type));
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        List<JsonNode> events = new ArrayList<>();
        response.json().forEach(events::add);
        return events;
    }

    @Test
    void aChargeThatCrossesTheThresholdWritesOneBalanceLowWithTheBalanceAfterIt() {
        String user = userWith("20", "10");
        assertThat(deduct(adminKey(), user, "9", Map.of()).status()).isEqualTo(200); // 11: above
        assertThat(events(user, "balance.low")).isEmpty();

        var crossing = deduct(adminKey(), user, "1.5", Map.of()); // 9.5: below
        assertThat(crossing.status()).isEqualTo(200);
        assertThat(deduct(adminKey(), user, "2", Map.of()).status()).isEqualTo(200); // 7.5: still below

        var low = events(user, "balance.low");
        assertThat(low).hasSize(1);
        JsonNode event = low.getFirst();
        assertThat(event.path("user_id").asString()).isEqualTo(user);
        assertThat(event.path("data").path("balance").decimalValue()).isEqualByComparingTo("9.5");
        assertThat(event.path("data").path("available").decimalValue()).isEqualByComparingTo("9.5");
        assertThat(event.path("data").path("amount").decimalValue()).isEqualByComparingTo("-1.5");
        assertThat(event.path("data").path("threshold").decimalValue()).isEqualByComparingTo("10");
        assertThat(event.path("id").asLong()).isPositive();
        assertThat(event.path("created_at").asString()).isNotBlank();
    }

    @Test
    void fiftyParallelChargesAcrossTheThresholdWriteOneBalanceLow() throws Exception {
        String user = userWith("10.5", "10");
        var answers = inParallel(50, i -> deduct(adminKey(), user, "0.1", Map.of()));
        assertThat(answers).allSatisfy(answer -> assertThat(answer.status()).isEqualTo(200));

        var low = events(user, "balance.low");
        assertThat(low).hasSize(1);
        BigDecimal balance = low.getFirst().path("data").path("balance").decimalValue();
        assertThat(balance).isLessThan(new BigDecimal("10")).isGreaterThanOrEqualTo(new BigDecimal("9.9"));
        assertLedgerConsistent();
    }

    @Test
    void aRolledBackChargeWritesNoEvent() {
        String user = userWith("10.5", "10");
        var before = events(user, null);
        transactions.executeWithoutResult(status -> {
            var result = credits.deduct(user, Money.parse("5"), "llm", null, Map.of(), Map.of(), "test", null);
            assertThat(result).isInstanceOf(CreditService.DeductResult.Deducted.class);
            status.setRollbackOnly();
        });
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("10.5");
        assertThat(events(user, null)).isEqualTo(before);
    }

    @Test
    void theThresholdFiresAgainOnlyAfterTheBalanceRecovered() {
        String user = userWith("10.5", "10");
        deduct(adminKey(), user, "1", Map.of()); // 9.5: low
        allocate(user, "0.2"); // 9.7: still below, nothing
        allocate(user, "1"); // 10.7: recovered
        deduct(adminKey(), user, "0.5", Map.of()); // 10.2: above
        deduct(adminKey(), user, "0.5", Map.of()); // 9.7: low again

        var types = events(user, null).stream().map(e -> e.path("type").asString())
                .filter(type -> type.startsWith("balance.")).toList();
        assertThat(types).containsExactly("balance.low", "balance.recovered", "balance.low");
        var all = events(user, null);
        for (int i = 1; i < all.size(); i++) {
            assertThat(all.get(i).path("sequence").asLong()).isEqualTo(all.get(i - 1).path("sequence").asLong() + 1);
            assertThat(all.get(i).path("id").asLong()).isGreaterThan(all.get(i - 1).path("id").asLong());
        }
    }

    @Test
    void spendingTheLastCreditWritesBalanceDepleted() {
        String user = userWith("3", "1");
        assertThat(deduct(adminKey(), user, "3", Map.of()).status()).isEqualTo(200);
        var types = events(user, null).stream().map(e -> e.path("type").asString()).toList();
        assertThat(types).containsSubsequence("balance.low", "balance.depleted");
        allocate(user, "0.5"); // below the threshold of 1, but something is available: no recovery yet
        allocate(user, "1");
        var after = events(user, null).stream().map(e -> e.path("type").asString()).toList();
        assertThat(after.stream().filter("balance.recovered"::equals).count()).isEqualTo(1);
        assertThat(after.getLast()).isEqualTo("credits.added");
    }

    @Test
    void anAllocationWritesCreditsAddedWithTheBalanceAfterIt() {
        String user = userWith("5", "0");
        var allocated = allocate(user, "2.25");
        var added = events(user, "credits.added");
        assertThat(added).isNotEmpty();
        JsonNode last = added.getLast().path("data");
        assertThat(last.path("amount").decimalValue()).isEqualByComparingTo("2.25");
        assertThat(last.path("balance").decimalValue()).isEqualByComparingTo("7.25");
        assertThat(last.path("reason").asString()).isEqualTo("allocation");
        assertThat(allocated.status()).isEqualTo(200);
    }

    @Test
    void pollingFollowsTheIdsAndShowsAUserOnlyItsOwnEvents() {
        String user = userWith("7", "0");
        String other = userWith("7", "0");
        allocate(user, "1");
        allocate(other, "1");
        String userKey = keyFor(user, "user");

        var own = api.get(userKey, EVENTS + "?user_id=" + other);
        assertThat(own.status()).isEqualTo(200);
        assertThat(own.json().isArray()).isTrue();
        own.json().forEach(event -> assertThat(event.path("user_id").asString()).isEqualTo(user));
        assertThat(own.json().size()).isGreaterThanOrEqualTo(2);

        long first = own.json().get(0).path("id").asLong();
        var after = api.get(userKey, EVENTS + "?after=" + first);
        assertThat(after.json().size()).isEqualTo(own.json().size() - 1);
        assertThat(after.json().get(0).path("id").asLong()).isGreaterThan(first);
        assertThat(api.get(userKey, EVENTS + "?limit=1").json().size()).isEqualTo(1);
    }

    @Test
    void thresholdsReadAndSetAsAnAmountAShareOrThePlatformDefault() {
        String user = newUserId();
        String userKey = keyFor(user, "user");
        var platform = api.get(userKey, THRESHOLDS);
        assertThat(platform.status()).as(platform.body()).isEqualTo(200);
        assertThat(platform.json().path("source").asString()).isEqualTo("platform");
        assertThat(platform.json().path("quota_warning_share").decimalValue()).isEqualByComparingTo("0.8");

        var share = api.put(userKey, THRESHOLDS, "{\"low_balance_share\":0.25}");
        assertThat(share.status()).as(share.body()).isEqualTo(200);
        assertThat(share.json().path("source").asString()).isEqualTo("account");
        assertThat(share.json().path("low_balance_share").decimalValue()).isEqualByComparingTo("0.25");

        var amount = api.put(userKey, THRESHOLDS, "{\"low_balance\":\"2.5\"}");
        assertThat(amount.json().path("low_balance").decimalValue()).isEqualByComparingTo("2.5");
        assertThat(amount.json().path("low_balance_share").isNull()).isTrue();

        var reset = api.put(userKey, THRESHOLDS, "{\"low_balance\":null}");
        assertThat(reset.json().path("source").asString()).isEqualTo("platform");
    }

    @Test
    void badThresholdsAreRefusedAndChangeNothing() {
        String user = userWith("5", "1");
        for (String body : List.of("{}", "{\"low_balance\":-1}", "{\"low_balance\":\"x\"}",
                "{\"low_balance_share\":1.5}", "{\"low_balance\":1,\"low_balance_share\":0.1}",
                "{\"low_balance_share\":\"0.1\"}", "{\"lowbalance\":1}", "[]")) {
            var response = api.put(adminKey(), THRESHOLDS, body.equals("[]") ? body
                    : body.replace("{", "{\"user_id\":\"" + user + "\","
                    ).replace(",}", "}"));
            assertThat(response.status()).as(body + " " + response.body()).isEqualTo(422);
            assertThat(response.json().path("errors").isArray()).isTrue();
        }
        assertThat(api.get(adminKey(), THRESHOLDS + "?user_id=" + user).json().path("low_balance").decimalValue())
                .isEqualByComparingTo("1");
        assertThat(api.get(adminKey(), EVENTS + "?type=nope").status()).isEqualTo(422);
        assertThat(api.get(adminKey(), EVENTS + "?limit=0").status()).isEqualTo(422);
    }

    private void charge(String user, int from, int count) {
        var events = new StringBuilder("{\"events\":[");
        for (int i = from; i < from + count; i++) {
            events.append(i == from ? "" : ",").append("{\"user_id\":\"").append(user).append("\",\"event_id\":\"c")
                    .append(i).append("\",\"service\":\"chat\",\"cost\":0.0001}");
        }
        var recorded = api.post(adminKey(), "/api/v1/credits/usage/events", events.append("]}").toString());
        assertThat(recorded.status()).as(recorded.body()).isEqualTo(200);
    }

    @Test
    void quotaWarningFiresAtTheEightiethCallOfAHundredAndExhaustedAtTheHundredth() {
        String user = newUserId(); // the trial tier: 100 calls a day
        charge(user, 0, 79);
        assertThat(events(user, "quota.warning")).isEmpty();
        charge(user, 79, 1);
        var warning = events(user, "quota.warning");
        assertThat(warning).hasSize(1);
        assertThat(warning.getFirst().path("data").path("calls").asLong()).isEqualTo(80);
        assertThat(warning.getFirst().path("data").path("limit").asLong()).isEqualTo(100);
        assertThat(warning.getFirst().path("data").path("amount").decimalValue()).isEqualByComparingTo("-0.000105"); // 0.0001 and its 5 % markup

        charge(user, 80, 19);
        assertThat(events(user, "quota.exhausted")).isEmpty();
        charge(user, 99, 1);
        assertThat(events(user, "quota.exhausted")).hasSize(1);
        assertThat(events(user, "quota.warning")).hasSize(1);
    }

    @Test
    void aModelWithoutAPriceIsAnEventTheFirstTimeItIsSeen() {
        String user = newUserId();
        String model = "unheard-of-" + java.util.UUID.randomUUID();
        for (int i = 0; i < 3; i++) {
            var tracked = api.post(adminKey(), "/api/v1/credits/usage/track",
                    "{\"user_id\":\"" + user + "\",\"service\":\"llm\",\"model\":\"" + model + "\",\"tokens\":10}");
            assertThat(tracked.status()).as(tracked.body()).isEqualTo(200);
            assertThat(tracked.json().path("pricing").asString()).isEqualTo("unpriced");
        }
        var unpriced = events(user, "usage.unpriced");
        assertThat(unpriced).hasSize(1);
        assertThat(unpriced.getFirst().path("data").path("model").asString()).isEqualTo(model);
        assertThat(unpriced.getFirst().path("data").path("service").asString()).isEqualTo("llm");
    }

    @Test
    void switchingTierIsAnEvent() {
        String user = userWith("7", "0");
        var switched = api.post(adminKey(), "/api/v1/credits/tiers/switch",
                "{\"user_id\":\"" + user + "\",\"new_tier\":\"starter\"}");
        assertThat(switched.status()).as(switched.body()).isEqualTo(200);
        var tier = events(user, "tier.changed");
        assertThat(tier).hasSize(1);
        assertThat(tier.getFirst().path("data").path("tier").asString()).isEqualTo("starter");
        assertThat(tier.getFirst().path("data").path("previous_tier").asString()).isEqualTo("trial");
    }

    @Test
    void aHoldPastItsExpiryIsAnEventWithTheCreditsAvailableAgain() throws Exception {
        String user = userWith("7", "0");
        var hold = api.post(adminKey(), "/api/v1/credits/holds",
                "{\"user_id\":\"" + user + "\",\"amount\":2,\"ttl_seconds\":1}");
        assertThat(hold.status()).as(hold.body()).isEqualTo(201);
        long id = hold.json().path("hold_id").asLong();
        Thread.sleep(1_200);
        api.post(adminKey(), "/api/v1/credits/holds/" + id + "/release", ""); // resolves it as expired

        var expired = events(user, "hold.expired");
        assertThat(expired).hasSize(1);
        assertThat(expired.getFirst().path("data").path("hold_id").asLong()).isEqualTo(id);
        assertThat(expired.getFirst().path("data").path("amount").decimalValue()).isEqualByComparingTo("2");
        assertThat(expired.getFirst().path("data").path("available").decimalValue()).isEqualByComparingTo("7");
    }

    @Test
    void withoutItsOwnThresholdAnAccountHasThePlatformsTenthOfItsAllowance() {
        String user = newUserId(); // trial: 5 credits a month, so 0.5
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("5");
        assertThat(api.get(adminKey(), THRESHOLDS + "?user_id=" + user).json().path("low_balance").decimalValue())
                .isEqualByComparingTo("0.5");
        deduct(adminKey(), user, "4.5", Map.of()); // 0.5: at the threshold, not below
        assertThat(events(user, "balance.low")).isEmpty();
        deduct(adminKey(), user, "0.1", Map.of());
        var low = events(user, "balance.low");
        assertThat(low).hasSize(1);
        assertThat(low.getFirst().path("data").path("threshold").decimalValue()).isEqualByComparingTo("0.5");
    }

    @Autowired
    EventRetention retention;
    @Autowired
    dev.creditmeter.TestClock clock;

    @Test
    void retentionKeepsEachAccountsLatestEventSoItsSequenceGoesOn() {
        String user = userWith("8", "0");
        allocate(user, "1");
        int before = events(user, null).size();
        assertThat(before).isGreaterThanOrEqualTo(2);
        try {
            clock.set(java.time.Instant.now().plus(java.time.Duration.ofDays(91)));
            retention.deleteExpiredEvents();
        } finally {
            clock.reset();
        }
        var kept = events(user, null);
        assertThat(kept).hasSize(1);
        long last = kept.getFirst().path("sequence").asLong();
        allocate(user, "1");
        assertThat(events(user, null).getLast().path("sequence").asLong()).isEqualTo(last + 1);
    }
}
