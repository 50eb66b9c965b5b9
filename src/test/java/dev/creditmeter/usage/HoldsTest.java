package dev.creditmeter.usage;

import dev.creditmeter.Api;
import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Two-phase charges (contract §4 and §5 "Holds"): place, capture, release, expiry, and who may touch a hold. */
class HoldsTest extends ApiTest {

    private static final String HOLDS = "/api/v1/credits/holds";

    @Autowired
    JdbcClient jdbc;

    @AfterEach
    void ledgerStaysConsistent() {
        assertLedgerConsistent();
    }

    private Api.Response place(String userId, String amount) {
        return place(userId, amount, "");
    }

    private Api.Response place(String userId, String amount, String extra) {
        return api.post(adminKey(), HOLDS, "{\"user_id\":\"" + userId + "\",\"amount\":" + amount + extra + "}");
    }

    private long placed(String userId, String amount) {
        var response = place(userId, amount);
        assertThat(response.status()).as(response.body()).isEqualTo(201);
        return response.json().path("hold_id").asLong();
    }

    private Api.Response capture(long holdId, String body) {
        return api.post(adminKey(), HOLDS + "/" + holdId + "/capture", body);
    }

    private Api.Response release(long holdId) {
        return api.post(adminKey(), HOLDS + "/" + holdId + "/release", "");
    }

    private void assertFigures(String userId, String balance, String held, String available) {
        JsonNode account = balanceOf(userId);
        assertThat(account.path("balance").decimalValue()).as("balance").isEqualByComparingTo(balance);
        assertThat(account.path("held").decimalValue()).as("held").isEqualByComparingTo(held);
        assertThat(account.path("available").decimalValue()).as("available").isEqualByComparingTo(available);
    }

    private long ledgerRows(String userId) {
        return jdbc.sql("select count(*) from credit_transactions where user_id = ?").param(userId)
                .query(Long.class).single();
    }

    @Test
    void aHoldReservesCreditsWithoutChangingTheBalanceOrTheLedger() {
        String user = newUserId();
        Instant before = Instant.now();

        var response = place(user, "2", ",\"metadata\":{\"request\":\"r-1\"}");

        assertThat(response.status()).as(response.body()).isEqualTo(201);
        JsonNode hold = response.json();
        assertThat(hold.path("hold_id").asLong()).isPositive();
        assertThat(hold.path("user_id").asString()).isEqualTo(user);
        assertThat(hold.path("amount").decimalValue()).isEqualByComparingTo("2");
        assertThat(hold.path("status").asString()).isEqualTo("held");
        assertThat(hold.path("metadata").path("request").asString()).isEqualTo("r-1");
        Instant expiresAt = Instant.parse(hold.path("expires_at").asString());
        assertThat(expiresAt).isBetween(before.plusSeconds(299), Instant.now().plusSeconds(301));
        assertFigures(user, "5", "2", "3");
        assertThat(ledgerRows(user)).isEqualTo(1); // the sign-up purchase only
    }

    @Test
    void capturingLessThanHeldChargesTheAmountAndReleasesTheRest() {
        String user = newUserId();
        long hold = placed(user, "2");

        var response = capture(hold, "{\"amount\":0.75}");

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        JsonNode event = response.json();
        assertThat(event.path("user_id").asString()).isEqualTo(user);
        assertThat(event.path("service").asString()).isEqualTo("hold");
        assertThat(event.path("pricing").asString()).isEqualTo("event");
        assertThat(event.path("provider_cost").decimalValue()).isEqualByComparingTo("0.75");
        assertThat(event.path("platform_markup").decimalValue()).isEqualByComparingTo("0");
        assertThat(event.path("markup_rate").decimalValue()).isEqualByComparingTo("0");
        assertThat(event.path("total_cost").decimalValue()).isEqualByComparingTo("0.75");
        assertThat(event.path("charged").decimalValue()).isEqualByComparingTo("0.75");
        assertThat(event.path("balance_after").decimalValue()).isEqualByComparingTo("4.25");
        assertThat(event.path("metadata").path("hold_id").asLong()).isEqualTo(hold);
        assertFigures(user, "4.25", "0", "4.25");

        JsonNode view = api.get(adminKey(), HOLDS + "/" + hold).json();
        assertThat(view.path("status").asString()).isEqualTo("captured");
        assertThat(view.path("captured").decimalValue()).isEqualByComparingTo("0.75");
        assertThat(view.path("usage_event_id").asLong()).isEqualTo(event.path("id").asLong());
        var usageRow = jdbc.sql("""
                        select amount_micros, usage_event_id, metadata->>'hold_id' from credit_transactions
                        where user_id = ? and transaction_type = 'usage'""")
                .param(user).query((rs, n) -> List.of(rs.getLong(1), rs.getLong(2), Long.parseLong(rs.getString(3))))
                .single();
        assertThat(usageRow).containsExactly(-750_000L, event.path("id").asLong(), hold);
    }

    @Test
    void capturingMoreThanHeldChargesTheActualAmountEvenIntoDebt() {
        String user = newUserId();
        long hold = placed(user, "1");

        var response = capture(hold, "{\"amount\":7.5,\"service\":\"chat\",\"model\":\"openai/gpt-4o\",\"tokens\":1200}");

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.json().path("service").asString()).isEqualTo("chat");
        assertThat(response.json().path("model").asString()).isEqualTo("openai/gpt-4o");
        assertThat(response.json().path("tokens_used").asLong()).isEqualTo(1200);
        assertThat(response.json().path("total_cost").decimalValue()).isEqualByComparingTo("7.5");
        assertThat(response.json().path("balance_after").decimalValue()).isEqualByComparingTo("-2.5");
        assertFigures(user, "-2.5", "0", "-2.5");
    }

    @Test
    void capturingWithAUsageBodyPricesItLikeTrack() {
        String user = newUserId();
        long hold = placed(user, "3");

        var response = capture(hold, "{\"service\":\"openrouter\",\"model\":\"openai/gpt-4o-mini\","
                + "\"input_tokens\":1000,\"output_tokens\":500,\"event_id\":\"evt-hold\",\"metadata\":{\"hold_id\":\"forged\"}}");

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        JsonNode event = response.json();
        assertThat(event.path("event_id").asString()).isEqualTo("evt-hold");
        assertThat(event.path("pricing").asString()).isEqualTo("catalogue");
        assertThat(event.path("provider_cost").decimalValue()).isEqualByComparingTo("0.00045");
        assertThat(event.path("platform_markup").decimalValue()).isEqualByComparingTo("0.000022");
        assertThat(event.path("total_cost").decimalValue()).isEqualByComparingTo("0.000472");
        assertThat(event.path("metadata").path("hold_id").asLong()).isEqualTo(hold);
        assertFigures(user, "4.999528", "0", "4.999528");

        var withCost = capture(placed(user, "1"), "{\"service\":\"openrouter\",\"cost\":2}");
        assertThat(withCost.json().path("total_cost").decimalValue()).isEqualByComparingTo("2.3");
        assertFigures(user, "2.699528", "0", "2.699528");
    }

    @Test
    void releasingAHoldMakesItsCreditsAvailableAgain() {
        String user = newUserId();
        long hold = placed(user, "4");
        assertFigures(user, "5", "4", "1");

        var response = release(hold);

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.json().path("hold_id").asLong()).isEqualTo(hold);
        assertThat(response.json().path("status").asString()).isEqualTo("released");
        assertThat(response.json().path("resolved_at").isString()).isTrue();
        assertFigures(user, "5", "0", "5");
        assertThat(ledgerRows(user)).isEqualTo(1);
    }

    @Test
    void aHoldResolvesOnlyOnce() {
        String user = newUserId();
        long captured = placed(user, "1");
        long released = placed(user, "1");
        assertThat(capture(captured, "{\"amount\":0.5}").status()).isEqualTo(200);
        assertThat(release(released).status()).isEqualTo(200);

        var secondCapture = capture(captured, "{\"amount\":0.5}");
        var releaseAfterCapture = release(captured);
        var captureAfterRelease = capture(released, "{\"amount\":0.5}");
        var secondRelease = release(released);

        assertThat(secondCapture.status()).isEqualTo(409);
        assertThat(secondCapture.detail()).isEqualTo("Hold " + captured + " is already captured");
        assertThat(releaseAfterCapture.status()).isEqualTo(409);
        assertThat(releaseAfterCapture.detail()).isEqualTo("Hold " + captured + " is already captured");
        assertThat(captureAfterRelease.status()).isEqualTo(409);
        assertThat(captureAfterRelease.detail()).isEqualTo("Hold " + released + " is already released");
        assertThat(secondRelease.status()).isEqualTo(409);
        assertThat(secondRelease.detail()).isEqualTo("Hold " + released + " is already released");
        assertFigures(user, "4.5", "0", "4.5");
    }

    @Test
    void parallelCapturesOfOneHoldChargeOnce() throws Exception {
        String user = newUserId();
        long hold = placed(user, "1");

        List<Api.Response> responses = inParallel(20, i -> capture(hold, "{\"amount\":1}"));

        assertThat(responses).filteredOn(r -> r.status() == 200).hasSize(1);
        assertThat(responses).filteredOn(r -> r.status() == 409).hasSize(19)
                .allSatisfy(r -> assertThat(r.detail()).isEqualTo("Hold " + hold + " is already captured"));
        assertFigures(user, "4", "0", "4");
    }

    @Test
    void aCaptureCannotReuseAnEventIdThatWasAlreadyCharged() {
        String user = newUserId();
        api.post(adminKey(), "/api/v1/credits/usage/track",
                "{\"user_id\":\"" + user + "\",\"service\":\"tts\",\"cost\":0,\"is_free\":true,\"event_id\":\"e-1\"}");
        long hold = placed(user, "3");

        var response = capture(hold, "{\"amount\":3,\"event_id\":\"e-1\"}");

        assertThat(response.status()).isEqualTo(409);
        assertThat(response.detail()).isEqualTo("Event e-1 was already recorded");
        assertThat(api.get(adminKey(), HOLDS + "/" + hold).json().path("status").asString()).isEqualTo("held");
        assertFigures(user, "5", "3", "2");
    }

    @Test
    void aUserSeesAndResolvesOnlyItsOwnHolds() {
        String owner = newUserId();
        String stranger = newUserId();
        String ownerKey = keyFor(owner, "user");
        String strangerKey = keyFor(stranger, "user");
        var own = api.post(ownerKey, HOLDS, "{\"user_id\":\"" + stranger + "\",\"amount\":1}");
        assertThat(own.status()).as(own.body()).isEqualTo(201);
        assertThat(own.json().path("user_id").asString()).isEqualTo(owner); // a user's user_id is ignored
        long hold = own.json().path("hold_id").asLong();

        var get = api.get(strangerKey, HOLDS + "/" + hold);
        var capture = api.post(strangerKey, HOLDS + "/" + hold + "/capture", "{\"amount\":1}");
        var release = api.post(strangerKey, HOLDS + "/" + hold + "/release", "");

        for (var response : List.of(get, capture, release)) {
            assertThat(response.status()).as(response.body()).isEqualTo(404);
            assertThat(response.detail()).isEqualTo("Hold " + hold + " not found");
        }
        assertThat(api.get(ownerKey, HOLDS + "/" + hold).json().path("status").asString()).isEqualTo("held");
        assertThat(api.get(ownerKey, HOLDS + "/999999999").status()).isEqualTo(404);
        var byOwner = api.post(ownerKey, HOLDS + "/" + hold + "/capture", "{\"amount\":0.25}");
        assertThat(byOwner.status()).as(byOwner.body()).isEqualTo(200);
        assertFigures(owner, "4.75", "0", "4.75");
        assertFigures(stranger, "5", "0", "5");
    }

    @Test
    void aServiceActsOnAnyUsersHolds() {
        String user = newUserId();
        String serviceKey = keyFor("gateway-" + user, "service");
        var placed = api.post(serviceKey, HOLDS, "{\"user_id\":\"" + user + "\",\"amount\":2}");
        assertThat(placed.json().path("user_id").asString()).isEqualTo(user);
        long hold = placed.json().path("hold_id").asLong();

        assertThat(api.get(serviceKey, HOLDS + "/" + hold).status()).isEqualTo(200);
        var captured = api.post(serviceKey, HOLDS + "/" + hold + "/capture", "{\"amount\":1.5}");

        assertThat(captured.status()).as(captured.body()).isEqualTo(200);
        assertFigures(user, "3.5", "0", "3.5");
    }

    @Test
    void refusesAHoldTheAvailableBalanceDoesNotCover() {
        String user = newUserId();
        placed(user, "4");

        var response = place(user, "1.5");

        assertThat(response.status()).isEqualTo(402);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.detail()).isEqualTo("Insufficient credits. Required: 1.5, Available: 1");
        assertFigures(user, "5", "4", "1");
    }

    @Test
    void rejectsBadHoldsWithTheFieldNamed() {
        String user = newUserId();
        for (String[] bad : new String[][]{
                {"{\"amount\":1,\"ttl_seconds\":0}", "ttl_seconds"},
                {"{\"amount\":1,\"ttl_seconds\":3601}", "ttl_seconds"},
                {"{\"amount\":1,\"ttl_seconds\":-5}", "ttl_seconds"},
                {"{\"amount\":1,\"ttl_seconds\":1.5}", "ttl_seconds"},
                {"{\"amount\":0}", "amount"},
                {"{\"amount\":-1}", "amount"},
                {"{\"ttl_seconds\":10}", "amount"}}) {
            var response = api.post(adminKey(), HOLDS, "{\"user_id\":\"" + user + "\"," + bad[0].substring(1));
            assertThat(response.status()).as(bad[0] + " " + response.body()).isEqualTo(422);
            assertThat(response.json().path("errors").get(0).path("field").asString()).as(bad[0]).isEqualTo(bad[1]);
        }
        assertThat(place(user, "1", ",\"ttl_seconds\":1").status()).isEqualTo(201);
        assertThat(place(user, "1", ",\"ttl_seconds\":3600").status()).isEqualTo(201);

        long hold = placed(user, "1");
        for (String[] bad : new String[][]{
                {"{}", "amount"},
                {"{\"amount\":0}", "amount"},
                {"{\"amount\":1,\"cost\":1}", "amount"},
                {"{\"service\":\"x\",\"tokens\":-1}", "tokens"},
                {"{\"service\":\"x\",\"cost\":-0.5}", "cost"}}) {
            var response = capture(hold, bad[0]);
            assertThat(response.status()).as(bad[0] + " " + response.body()).isEqualTo(422);
            assertThat(response.json().path("errors").get(0).path("field").asString()).as(bad[0]).isEqualTo(bad[1]);
        }
        assertThat(api.get(adminKey(), HOLDS + "/" + hold).json().path("status").asString()).isEqualTo("held");
    }

    @Test
    void fiftyParallelHoldsOnTenCreditsPlaceExactlyTen() throws Exception {
        String user = newUserId();
        allocate(user, "5"); // 5 trial allowance + 5 bonus = 10

        List<Api.Response> responses = inParallel(50, i -> place(user, "1"));

        assertThat(responses).filteredOn(r -> r.status() == 201).hasSize(10);
        assertThat(responses).filteredOn(r -> r.status() == 402).hasSize(40)
                .allSatisfy(r -> assertThat(r.detail()).isEqualTo("Insufficient credits. Required: 1, Available: 0"));
        assertFigures(user, "10", "10", "0");
        assertThat(jdbc.sql("select count(*) from credit_holds where user_id = ? and status = 'held'").param(user)
                .query(Long.class).single()).isEqualTo(10);
    }

    @Test
    void theSweeperExpiresAHoldPastItsTtlAndItsCreditsComeBack() throws Exception {
        String user = newUserId();
        var response = place(user, "3", ",\"ttl_seconds\":1");
        long hold = response.json().path("hold_id").asLong();
        assertFigures(user, "5", "3", "2");

        JsonNode view = null;
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (Instant.now().isBefore(deadline)) {
            view = api.get(adminKey(), HOLDS + "/" + hold).json();
            if (!view.path("status").asString().equals("held")) {
                break;
            }
            Thread.sleep(200);
        }

        assertThat(view.path("status").asString()).as(view.toString()).isEqualTo("expired");
        assertFigures(user, "5", "0", "5");
        var capture = capture(hold, "{\"amount\":1}");
        assertThat(capture.status()).isEqualTo(409);
        assertThat(capture.detail()).isEqualTo("Hold " + hold + " is already expired");
    }

    @Test
    void aHoldPastItsTtlCannotBeCapturedEvenBeforeTheSweeperRuns() throws Exception {
        String user = newUserId();
        var response = place(user, "3", ",\"ttl_seconds\":1");
        long hold = response.json().path("hold_id").asLong();
        Instant expiresAt = Instant.parse(response.json().path("expires_at").asString());
        while (!Instant.now().isAfter(expiresAt.plusMillis(50))) {
            Thread.sleep(50);
        }

        var capture = capture(hold, "{\"amount\":1}");
        var release = release(hold);

        assertThat(capture.status()).isEqualTo(409);
        assertThat(capture.detail()).isEqualTo("Hold " + hold + " is already expired");
        assertThat(release.status()).isEqualTo(409);
        assertThat(release.detail()).isEqualTo("Hold " + hold + " is already expired");
        assertFigures(user, "5", "0", "5");
    }

    @Test
    void anIdempotencyKeyPlacesOneHold() {
        String user = newUserId();
        var headers = Map.of("Idempotency-Key", "hold-" + user);
        String body = "{\"user_id\":\"" + user + "\",\"amount\":2}";

        var first = api.post(adminKey(), HOLDS, body, headers);
        var retry = api.post(adminKey(), HOLDS, body, headers);

        assertThat(first.status()).isEqualTo(201);
        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(retry.body()).isEqualTo(first.body());
        assertFigures(user, "5", "2", "3");
    }

    @Test
    void ledgerVerifyReportsHeldAmountsThatDisagreeWithTheOpenHolds() {
        String user = newUserId();
        placed(user, "2");
        try {
            jdbc.sql("update credit_accounts set held_micros = 1500000 where user_id = ?").param(user).update();
            var report = api.get(adminKey(), "/api/v1/credits/admin/ledger/verify").json();

            assertThat(report.path("consistent").asBoolean()).isFalse();
            JsonNode found = null;
            for (JsonNode inconsistency : report.path("inconsistencies")) {
                if (inconsistency.path("user_id").asString().equals(user)) {
                    found = inconsistency;
                }
            }
            assertThat(found).as(report.toString()).isNotNull();
            assertThat(found.path("stored_held").decimalValue()).isEqualByComparingTo("1.5");
            assertThat(found.path("open_holds").decimalValue()).isEqualByComparingTo("2");
            assertThat(found.path("stored_balance").decimalValue()).isEqualByComparingTo("5");
            assertThat(found.path("ledger_sum").decimalValue()).isEqualByComparingTo("5");
        } finally {
            jdbc.sql("update credit_accounts set held_micros = 2000000 where user_id = ?").param(user).update();
        }
    }
}
