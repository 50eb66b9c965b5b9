package dev.creditmeter.coupons;

import dev.creditmeter.Api;
import dev.creditmeter.ApiTest;
import dev.creditmeter.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Coupon routes 15–19 and the redemptions list, over HTTP against the real database. */
class CouponsTest extends ApiTest {

    private static final String COUPONS = "/api/v1/credits/coupons";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String NOT_FOUND = "Coupon code not found";
    private static final String INACTIVE = "Coupon code is inactive";
    private static final String EXPIRED = "Coupon code has expired";
    private static final String LIMIT_REACHED = "Coupon redemption limit reached";
    private static final String ALREADY_REDEEMED = "You have already redeemed this coupon";

    @Autowired
    TestClock clock;

    @Autowired
    JdbcClient jdbc;

    @AfterEach
    void ledgerStaysConsistent() {
        clock.reset();
        assertLedgerConsistent();
    }

    // --- create ------------------------------------------------------------------------------------

    @Test
    void createsACouponWithEveryFieldAndUpperCasesItsCode() {
        String code = uniqueCode().toLowerCase();
        Instant expiry = Instant.now().plus(Duration.ofDays(30)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);

        var created = create("{\"coupon_type\":\"credit_bonus\",\"value\":12.5,\"code\":\"" + code
                + "\",\"description\":\"Launch week\",\"max_uses\":100,\"expires_at\":\"" + expiry + "\"}");

        assertThat(created.status()).as(created.body()).isEqualTo(200);
        JsonNode c = created.json();
        assertThat(c.path("code").asString()).isEqualTo(code.toUpperCase());
        assertThat(c.path("coupon_type").asString()).isEqualTo("credit_bonus");
        assertThat(c.path("value").decimalValue()).isEqualByComparingTo("12.5");
        assertThat(c.path("description").asString()).isEqualTo("Launch week");
        assertThat(c.path("max_uses").asInt()).isEqualTo(100);
        assertThat(c.path("used_count").asInt()).isZero();
        assertThat(c.path("remaining_uses").asInt()).isEqualTo(100);
        assertThat(Instant.parse(c.path("expires_at").asString())).isEqualTo(expiry);
        assertThat(c.path("is_active").asBoolean()).isTrue();
        assertThat(c.path("is_expired").asBoolean()).isFalse();
        assertThat(c.path("created_by").asString()).isEqualTo("admin");
        assertThat(c.path("created_at").asString()).endsWith("Z");
        assertThat(c.path("updated_at").asString()).endsWith("Z");

        var audit = api.get(adminKey(), "/api/v1/credits/admin/audit?action=coupon.create&limit=20");
        assertThat(audit.json().valueStream().map(e -> e.path("target").asString())).contains(code.toUpperCase());
    }

    @Test
    void generatesAnUnguessableCodeWhenNoneIsGiven() {
        var codes = new ArrayList<String>();
        for (int i = 0; i < 5; i++) {
            var created = create("{\"coupon_type\":\"fixed_discount\",\"value\":\"3\"}");
            assertThat(created.status()).as(created.body()).isEqualTo(200);
            JsonNode c = created.json();
            codes.add(c.path("code").asString());
            assertThat(c.path("max_uses").isNull()).isTrue();
            assertThat(c.path("remaining_uses").isNull()).as("unlimited").isTrue();
            assertThat(c.path("expires_at").isNull()).isTrue();
            assertThat(c.path("is_expired").asBoolean()).as("no expiry, never expired").isFalse();
            assertThat(c.path("description").isNull()).isTrue();
        }
        assertThat(codes).allMatch(code -> code.matches("UC-[A-Z0-9]{8}")).doesNotHaveDuplicates();
    }

    @Test
    void isExpiredFollowsTheExpiry() {
        var past = create("{\"coupon_type\":\"credit_bonus\",\"value\":1,\"code\":\"" + uniqueCode()
                + "\",\"expires_at\":\"2020-01-01T00:00:00Z\"}");
        var future = create("{\"coupon_type\":\"credit_bonus\",\"value\":1,\"code\":\"" + uniqueCode()
                + "\",\"expires_at\":\"2099-01-01T00:00:00+02:00\"}");
        var never = create("{\"coupon_type\":\"credit_bonus\",\"value\":1,\"code\":\"" + uniqueCode() + "\"}");

        assertThat(past.json().path("is_expired").asBoolean()).isTrue();
        assertThat(future.json().path("is_expired").asBoolean()).isFalse();
        assertThat(future.json().path("expires_at").asString()).isEqualTo("2098-12-31T22:00:00Z");
        assertThat(never.json().path("is_expired").asBoolean()).isFalse();

        String code = future.json().path("code").asString();
        clock.set(Instant.parse("2099-01-01T00:00:00Z"));
        var later = api.get(adminKey(), COUPONS + "?active_only=false&limit=500");
        assertThat(later.json().valueStream().filter(c -> c.path("code").asString().equals(code)).findFirst()
                .orElseThrow().path("is_expired").asBoolean()).as("expired from its expiry instant on").isTrue();
    }

    @Test
    void refusesInvalidCouponsWith422() {
        assertInvalid("{\"coupon_type\":\"free_credits\",\"value\":5}", "coupon_type", "Invalid coupon type");
        assertInvalid("{\"value\":5}", "coupon_type", "Invalid coupon type");
        assertInvalid("{\"coupon_type\":\"CREDIT_BONUS\",\"value\":5}", "coupon_type", "Invalid coupon type");
        assertInvalid("{\"coupon_type\":\"credit_bonus\",\"value\":0}", "value", null);
        assertInvalid("{\"coupon_type\":\"credit_bonus\",\"value\":-1}", "value", null);
        assertInvalid("{\"coupon_type\":\"credit_bonus\"}", "value", null);
        assertInvalid("{\"coupon_type\":\"credit_bonus\",\"value\":\"abc\"}", "value", null);
        assertInvalid("{\"coupon_type\":\"credit_bonus\",\"value\":1e12}", "value", null);
        assertInvalid("{\"coupon_type\":\"percentage_discount\",\"value\":100.5}", "value", null);
        assertInvalid("{\"coupon_type\":\"credit_bonus\",\"value\":1,\"code\":\"ab\"}", "code", null);
        assertInvalid("{\"coupon_type\":\"credit_bonus\",\"value\":1,\"code\":\"bad code\"}", "code", null);
        assertInvalid("{\"coupon_type\":\"credit_bonus\",\"value\":1,\"code\":\"" + "A".repeat(51) + "\"}", "code", null);
        assertInvalid("{\"coupon_type\":\"credit_bonus\",\"value\":1,\"code\":\"straße\"}", "code", null);
        assertInvalid("{\"coupon_type\":\"credit_bonus\",\"value\":1,\"max_uses\":0}", "max_uses", null);
        assertInvalid("{\"coupon_type\":\"credit_bonus\",\"value\":1,\"expires_at\":\"tomorrow\"}", "expires_at", null);
        assertThat(api.post(adminKey(), COUPONS + "/create", "").status()).isEqualTo(422);
        assertThat(api.post(adminKey(), COUPONS + "/create", "{\"coupon_type\":").status()).isEqualTo(400);

        var hundredPercent = create("{\"coupon_type\":\"percentage_discount\",\"value\":100,\"code\":\""
                + uniqueCode() + "\"}");
        assertThat(hundredPercent.status()).as(hundredPercent.body()).isEqualTo(200);
        var longest = create("{\"coupon_type\":\"credit_bonus\",\"value\":1,\"code\":\"" + uniqueCode()
                + "_".repeat(36) + "\"}");
        assertThat(longest.status()).as(longest.body()).isEqualTo(200);
        assertThat(longest.json().path("code").asString()).hasSize(50);
    }

    @Test
    void refusesADuplicateCodeWhateverItsCase() {
        String code = uniqueCode();
        assertThat(create("{\"coupon_type\":\"credit_bonus\",\"value\":1,\"code\":\"" + code + "\"}").status())
                .isEqualTo(200);

        for (String again : List.of(code, code.toLowerCase(), "  " + code.toLowerCase() + " ")) {
            var duplicate = create("{\"coupon_type\":\"free_month\",\"value\":1,\"code\":\"" + again + "\"}");
            assertThat(duplicate.status()).as(duplicate.body()).isEqualTo(400);
            assertThat(duplicate.detail()).isEqualTo("Coupon code '" + code + "' already exists");
        }
    }

    // --- redeem and validate ---------------------------------------------------------------------------

    @Test
    void redeemsACreditBonusOnceWhateverTheCaseOfTheCode() {
        String code = couponCode("credit_bonus", "7.25", null);
        String user = newUserId();
        String key = keyFor(user, "user");

        var redeemed = redeem(key, "  " + code.toLowerCase() + " ");

        assertThat(redeemed.status()).as(redeemed.body()).isEqualTo(200);
        JsonNode r = redeemed.json();
        assertThat(r.path("code").asString()).isEqualTo(code);
        assertThat(r.path("coupon_type").asString()).isEqualTo("credit_bonus");
        assertThat(r.path("value").decimalValue()).isEqualByComparingTo("7.25");
        assertThat(r.path("credits_awarded").decimalValue()).isEqualByComparingTo("7.25");
        assertThat(r.path("redeemed_at").asString()).endsWith("Z");

        var balance = balanceOf(user);
        assertThat(balance.path("balance").decimalValue()).isEqualByComparingTo("12.25");
        assertThat(balance.path("bonus_credits").decimalValue()).isEqualByComparingTo("7.25");
        var bonus = api.get(key, "/api/v1/credits/transactions?transaction_type=bonus");
        assertThat(bonus.json()).hasSize(1);
        JsonNode row = bonus.json().get(0);
        assertThat(row.path("amount").decimalValue()).isEqualByComparingTo("7.25");
        assertThat(row.path("metadata").path("reason").asString()).isEqualTo("coupon_redemption:" + code);
        assertThat(row.path("metadata").path("coupon_code").asString()).isEqualTo(code);
        assertThat(row.path("metadata").path("coupon_type").asString()).isEqualTo("credit_bonus");

        var again = redeem(key, code);
        assertThat(again.status()).isEqualTo(400);
        assertThat(again.detail()).isEqualTo(ALREADY_REDEEMED);
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("12.25");
        assertThat(coupon(code).path("used_count").asInt()).isEqualTo(1);

        var audit = api.get(adminKey(), "/api/v1/credits/admin/audit?action=coupon.redeem&user_id=" + user);
        assertThat(audit.json().valueStream().map(e -> e.path("outcome").asString()))
                .containsExactly("already_redeemed", "success");
    }

    @Test
    void checksRunInTheContractsOrder() {
        String code = couponCode("credit_bonus", "1", "{\"max_uses\":1,\"expires_at\":\""
                + Instant.now().plus(Duration.ofDays(1)) + "\"}");
        String alice = keyFor(newUserId(), "user");
        String bob = keyFor(newUserId(), "user");
        assertThat(redeem(alice, code).status()).isEqualTo(200);

        // Exhausted and already redeemed by alice: exhausted wins.
        assertRefused(alice, code, LIMIT_REACHED);
        assertRefused(bob, code, LIMIT_REACHED);

        // Expired as well: expired wins.
        clock.set(Instant.now().plus(Duration.ofDays(2)));
        assertRefused(alice, code, EXPIRED);

        // Inactive as well: inactive wins.
        assertThat(api.delete(adminKey(), COUPONS + "/" + code).status()).isEqualTo(200);
        assertRefused(alice, code, INACTIVE);
        assertRefused(bob, code, INACTIVE);

        assertRefused(alice, "NO-SUCH-" + uniqueCode(), NOT_FOUND);

        // Not exhausted, redeemed before: already redeemed.
        clock.reset();
        String unlimited = couponCode("fixed_discount", "2", null);
        assertThat(redeem(bob, unlimited).status()).isEqualTo(200);
        assertRefused(bob, unlimited, ALREADY_REDEEMED);
    }

    @Test
    void anImpossibleCodeIsNotFound() {
        String key = keyFor(newUserId(), "user");
        for (String code : List.of("", "  ", "ab", "a b c", "A".repeat(300), "ÄÖÜ-123", "straße", "x/../y")) {
            var response = api.post(key, COUPONS + "/redeem", "{\"code\":" + JSON.writeValueAsString(code) + "}");
            assertThat(response.status()).as(code).isEqualTo(400);
            assertThat(response.detail()).isEqualTo(NOT_FOUND);
        }
        var missing = api.post(key, COUPONS + "/redeem", "{\"metadata\":{}}");
        assertThat(missing.status()).isEqualTo(422);
        assertThat(missing.json().path("errors").get(0).path("field").asString()).isEqualTo("code");
        assertThat(api.post(key, COUPONS + "/redeem", "").status()).isEqualTo(422);
        assertThat(api.post(key, COUPONS + "/redeem", "{\"code\":12}").status()).isEqualTo(422);
    }

    @Test
    void validateAnswers200WithTheFirstFailingCheckAndChangesNothing() {
        String code = couponCode("credit_bonus", "2", "{\"max_uses\":5}");
        String user = newUserId();
        String key = keyFor(user, "user");

        var valid = api.get(key, COUPONS + "/validate/" + code.toLowerCase());
        assertThat(valid.status()).isEqualTo(200);
        assertThat(valid.json().path("valid").asBoolean()).isTrue();
        assertThat(valid.json().path("reason").isNull()).isTrue();
        assertThat(valid.json().path("coupon").path("code").asString()).isEqualTo(code);
        assertThat(valid.json().path("coupon").path("remaining_uses").asInt()).isEqualTo(5);
        assertThat(coupon(code).path("used_count").asInt()).as("validating redeems nothing").isZero();

        for (String unknown : List.of("NO-SUCH-" + uniqueCode(), "x", "%20%20")) {
            var invalid = api.get(key, COUPONS + "/validate/" + unknown);
            assertThat(invalid.status()).isEqualTo(200);
            assertThat(invalid.json().path("valid").asBoolean()).isFalse();
            assertThat(invalid.json().path("reason").asString()).isEqualTo(NOT_FOUND);
            assertThat(invalid.json().has("coupon")).isTrue();
            assertThat(invalid.json().path("coupon").isNull()).isTrue();
        }

        assertThat(redeem(key, code).status()).isEqualTo(200);
        var redeemed = api.get(key, COUPONS + "/validate/" + code);
        assertThat(redeemed.json().path("valid").asBoolean()).isFalse();
        assertThat(redeemed.json().path("reason").asString()).isEqualTo(ALREADY_REDEEMED);
        var forSomeoneElse = api.get(keyFor(newUserId(), "user"), COUPONS + "/validate/" + code);
        assertThat(forSomeoneElse.json().path("valid").asBoolean()).isTrue();
        assertThat(forSomeoneElse.json().path("coupon").path("used_count").asInt()).isEqualTo(1);
        var byAdminForTheUser = api.get(adminKey(), COUPONS + "/validate/" + code + "?user_id=" + user);
        assertThat(byAdminForTheUser.json().path("reason").asString()).isEqualTo(ALREADY_REDEEMED);
    }

    @Test
    void freeMonthGrantsOneMonthOfTheTierAllowance() {
        String code = couponCode("free_month", "1", null);
        String user = newUserId();
        String key = keyFor(user, "user");

        var redeemed = redeem(key, code);

        assertThat(redeemed.status()).as(redeemed.body()).isEqualTo(200);
        assertThat(redeemed.json().path("coupon_type").asString()).isEqualTo("free_month");
        assertThat(redeemed.json().path("credits_awarded").decimalValue()).isEqualByComparingTo("5");
        var balance = balanceOf(user);
        assertThat(balance.path("balance").decimalValue()).isEqualByComparingTo("10");
        assertThat(balance.path("bonus_credits").decimalValue()).as("as bonus: it does not expire").isEqualByComparingTo("5");
        var ledger = api.get(key, "/api/v1/credits/transactions");
        assertThat(ledger.json().valueStream().map(t -> t.path("transaction_type").asString()))
                .containsExactly("bonus", "purchase");
    }

    @Test
    void discountsAwardNothingAndAreListedForTheBillingSystem() {
        String percent = couponCode("percentage_discount", "15", null);
        String fixed = couponCode("fixed_discount", "2.5", null);
        String user = newUserId();
        String key = keyFor(user, "user");

        var first = redeem(key, percent);
        var second = api.post(key, COUPONS + "/redeem",
                "{\"code\":\"" + fixed + "\",\"metadata\":{\"plan\":\"pro\",\"seats\":3}}");

        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(first.json().path("value").decimalValue()).isEqualByComparingTo("15");
        assertThat(first.json().path("credits_awarded").decimalValue()).isEqualByComparingTo("0");
        assertThat(second.status()).as(second.body()).isEqualTo(200);
        assertThat(second.json().path("credits_awarded").decimalValue()).isEqualByComparingTo("0");
        assertThat(api.get(key, "/api/v1/credits/transactions").header("X-Total-Count"))
                .as("no credits, no ledger row, no account").isEqualTo("0");

        var mine = api.get(key, COUPONS + "/redemptions");
        assertThat(mine.status()).isEqualTo(200);
        assertThat(mine.header("X-Total-Count")).isEqualTo("2");
        assertThat(mine.json().valueStream().map(r -> r.path("code").asString())).containsExactly(fixed, percent);
        JsonNode newest = mine.json().get(0);
        assertThat(newest.path("user_id").asString()).isEqualTo(user);
        assertThat(newest.path("coupon_type").asString()).isEqualTo("fixed_discount");
        assertThat(newest.path("value").decimalValue()).isEqualByComparingTo("2.5");
        assertThat(newest.path("credits_awarded").decimalValue()).isEqualByComparingTo("0");
        assertThat(newest.path("metadata").path("seats").asInt()).isEqualTo(3);
        assertThat(newest.path("redeemed_at").asString()).endsWith("Z");

        var byAdmin = api.get(adminKey(), COUPONS + "/redemptions?user_id=" + user);
        assertThat(byAdmin.json()).hasSize(2);
        var someoneElse = api.get(keyFor(newUserId(), "user"), COUPONS + "/redemptions?user_id=" + user);
        assertThat(someoneElse.json()).as("a user's user_id is ignored").isEmpty();
        assertThat(api.get(key, COUPONS + "/redemptions?limit=1&offset=1").json().get(0).path("code").asString())
                .isEqualTo(percent);
        assertThat(api.get(key, COUPONS + "/redemptions?limit=0").status()).isEqualTo(422);
    }

    @Test
    void aRetryWithTheSameIdempotencyKeyReplaysTheRedemption() {
        String code = couponCode("credit_bonus", "3", null);
        String user = newUserId();
        String key = keyFor(user, "user");
        var headers = Map.of("Idempotency-Key", "redeem-" + code);

        var first = api.post(key, COUPONS + "/redeem", "{\"code\":\"" + code + "\"}", headers);
        var retry = api.post(key, COUPONS + "/redeem", "{\"code\":\"" + code + "\"}", headers);

        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(retry.status()).isEqualTo(200);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("8");
    }

    // --- concurrency -------------------------------------------------------------------------------------

    @Test
    void oneUserRedeemingFiveTimesAtOnceIsCreditedOnce() throws Exception {
        String code = couponCode("credit_bonus", "4", null);
        String user = newUserId();
        String key = keyFor(user, "user");

        List<Api.Response> responses = inParallel(5, i -> redeem(key, code));

        assertThat(responses).filteredOn(r -> r.status() == 200).hasSize(1);
        assertThat(responses).filteredOn(r -> r.status() == 400).hasSize(4)
                .allSatisfy(r -> assertThat(r.detail()).isEqualTo(ALREADY_REDEEMED));
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("9");
        assertThat(coupon(code).path("used_count").asInt()).isEqualTo(1);
        assertThat(jdbc.sql("select count(*) from credit_transactions where user_id = ? and transaction_type = 'bonus'")
                .param(user).query(Long.class).single()).isEqualTo(1);
    }

    @Test
    void tenUsersRacingForThreeUsesLeaveExactlyThreeWinners() throws Exception {
        String code = couponCode("credit_bonus", "1", "{\"max_uses\":3}");
        List<String> users = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            users.add(newUserId());
            keys.add(keyFor(users.getLast(), "user"));
        }

        List<Api.Response> responses = inParallel(10, i -> redeem(keys.get(i), code));

        assertThat(responses).filteredOn(r -> r.status() == 200).hasSize(3);
        assertThat(responses).filteredOn(r -> r.status() == 400).hasSize(7)
                .allSatisfy(r -> assertThat(r.detail()).isEqualTo(LIMIT_REACHED));
        JsonNode coupon = coupon(code);
        assertThat(coupon.path("used_count").asInt()).isEqualTo(3);
        assertThat(coupon.path("remaining_uses").asInt()).isZero();
        assertThat(jdbc.sql("select count(*) from coupon_redemptions where code = ?").param(code)
                .query(Long.class).single()).isEqualTo(3);
        for (int i = 0; i < 10; i++) {
            String expected = responses.get(i).status() == 200 ? "6" : "5";
            assertThat(balanceOf(users.get(i)).path("balance").decimalValue()).isEqualByComparingTo(expected);
        }
    }

    // --- throttling ----------------------------------------------------------------------------------------

    @Test
    void theEleventhFailedRedemptionWithinAnHourIsRefusedWith429() {
        String user = newUserId();
        String key = keyFor(user, "user");
        String good = couponCode("credit_bonus", "1", null);

        for (int i = 0; i < 10; i++) {
            var failed = redeem(key, "GUESS-" + i + "-" + uniqueCode());
            assertThat(failed.status()).as("failure %d", i + 1).isEqualTo(400);
        }

        for (String code : List.of("GUESS-11", good)) {
            var refused = redeem(key, code);
            assertThat(refused.status()).as(refused.body()).isEqualTo(429);
            assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
            assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 3600L);
        }
        assertThat(coupon(good).path("used_count").asInt()).as("a refused attempt does nothing").isZero();
        assertThat(redeem(keyFor(newUserId(), "user"), good).status()).as("other users are not affected").isEqualTo(200);
        var audit = api.get(adminKey(), "/api/v1/credits/admin/audit?action=coupon.redeem&limit=1&user_id=" + user);
        assertThat(audit.json().get(0).path("outcome").asString()).isEqualTo("rate_limited");

        clock.set(Instant.now().plus(Duration.ofMinutes(61)));
        var later = redeem(key, good);
        assertThat(later.status()).as("an hour later: " + later.body()).isEqualTo(200);
    }

    @Test
    void parallelFailuresCannotOutrunTheLimit() throws Exception {
        String key = keyFor(newUserId(), "user");

        List<Api.Response> responses = inParallel(20, i -> redeem(key, "GUESS-" + i + "-" + uniqueCode()));

        assertThat(responses).filteredOn(r -> r.status() == 400).hasSize(10);
        assertThat(responses).filteredOn(r -> r.status() == 429).hasSize(10);
    }

    // --- list and deactivate ---------------------------------------------------------------------------

    @Test
    void listsRedeemableCouponsNewestFirstByDefault() {
        String exhausted = couponCode("credit_bonus", "1", "{\"max_uses\":1}");
        String expired = couponCode("credit_bonus", "1", "{\"expires_at\":\"2020-01-01T00:00:00Z\"}");
        String inactive = couponCode("credit_bonus", "1", null);
        String older = couponCode("credit_bonus", "1", null);
        String newer = couponCode("percentage_discount", "10", "{\"max_uses\":2}");
        assertThat(redeem(keyFor(newUserId(), "user"), exhausted).status()).isEqualTo(200);
        assertThat(api.delete(adminKey(), COUPONS + "/" + inactive).status()).isEqualTo(200);
        var mine = List.of(exhausted, expired, inactive, older, newer);

        var active = api.get(adminKey(), COUPONS + "?limit=500");
        assertThat(active.status()).isEqualTo(200);
        assertThat(codesAmong(active, mine)).containsExactly(newer, older);
        assertThat(active.json()).allSatisfy(c -> {
            assertThat(c.path("is_active").asBoolean()).isTrue();
            assertThat(c.path("is_expired").asBoolean()).isFalse();
            assertThat(c.path("remaining_uses").isNull() || c.path("remaining_uses").asInt() > 0).isTrue();
        });
        assertThat(Long.parseLong(active.header("X-Total-Count"))).isEqualTo(active.json().size());

        var all = api.get(adminKey(), COUPONS + "?active_only=false&limit=500");
        assertThat(codesAmong(all, mine)).containsExactly(newer, older, inactive, expired, exhausted);

        var firstPage = api.get(adminKey(), COUPONS + "?active_only=false&limit=1");
        assertThat(firstPage.json()).hasSize(1);
        assertThat(firstPage.json().get(0).path("code").asString()).isEqualTo(newer);
        assertThat(api.get(adminKey(), COUPONS + "?active_only=false&limit=1&offset=1").json().get(0)
                .path("code").asString()).isEqualTo(older);

        for (String bad : List.of("limit=0", "limit=501", "limit=abc", "offset=-1", "active_only=maybe")) {
            var response = api.get(adminKey(), COUPONS + "?" + bad);
            assertThat(response.status()).as(bad).isEqualTo(422);
        }
    }

    @Test
    void deactivatingIsSoftAndEchoesTheCodeAsGiven() {
        String code = couponCode("credit_bonus", "1", null);

        var deactivated = api.delete(adminKey(), COUPONS + "/" + code.toLowerCase());

        assertThat(deactivated.status()).as(deactivated.body()).isEqualTo(200);
        assertThat(deactivated.json().path("message").asString())
                .isEqualTo("Coupon '" + code.toLowerCase() + "' deactivated successfully");
        JsonNode stored = coupon(code);
        assertThat(stored.path("is_active").asBoolean()).isFalse();
        assertThat(api.delete(adminKey(), COUPONS + "/" + code).status()).as("twice is fine").isEqualTo(200);

        String unknown = "no-such-" + uniqueCode().toLowerCase();
        var missing = api.delete(adminKey(), COUPONS + "/" + unknown);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.detail()).isEqualTo("Coupon code '" + unknown.toUpperCase() + "' not found");

        var audit = api.get(adminKey(), "/api/v1/credits/admin/audit?action=coupon.deactivate&limit=20");
        assertThat(audit.json().valueStream().map(e -> e.path("target").asString())).contains(code);
    }

    @Test
    void usersAndServicesAreRefusedOnAdminRoutes() {
        String code = couponCode("credit_bonus", "1", null);
        for (String key : List.of(keyFor(newUserId(), "user"), keyFor(newUserId(), "service"),
                JWT.token(newUserId(), List.of()))) {
            for (Api.Response response : List.of(
                    api.post(key, COUPONS + "/create", "{\"coupon_type\":\"credit_bonus\",\"value\":1}"),
                    api.post(key, COUPONS + "/create", "{\"coupon_type\":\"nonsense\"}"),
                    api.get(key, COUPONS),
                    api.get(key, COUPONS + "?active_only=false"),
                    api.delete(key, COUPONS + "/" + code))) {
                assertThat(response.status()).as(response.body()).isEqualTo(403);
                assertThat(response.detail()).isEqualTo("Admin access required");
            }
            // A service acts for a user it names.
            assertThat(api.get(key, COUPONS + "/validate/" + code + "?user_id=u1").status()).isEqualTo(200);
            assertThat(api.get(key, COUPONS + "/redemptions?user_id=u1").status()).isEqualTo(200);
        }
        assertThat(coupon(code).path("is_active").asBoolean()).isTrue();
        assertThat(api.get(null, COUPONS + "/validate/" + code).status()).isEqualTo(401);
        assertThat(api.post(null, COUPONS + "/redeem", "{\"code\":\"" + code + "\"}").status()).isEqualTo(401);
    }

    // --- helpers -------------------------------------------------------------------------------------------

    private static String uniqueCode() {
        return "T-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toUpperCase();
    }

    private Api.Response create(String body) {
        return api.post(adminKey(), COUPONS + "/create", body);
    }

    /** Creates a coupon with a fresh code; {@code extra} is more JSON fields, e.g. {@code {"max_uses":3}}. */
    private String couponCode(String type, String value, String extra) {
        String code = uniqueCode();
        String fields = extra == null ? "" : "," + extra.substring(1, extra.length() - 1);
        var created = create("{\"coupon_type\":\"" + type + "\",\"value\":" + value + ",\"code\":\"" + code + "\""
                + fields + "}");
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        return code;
    }

    private Api.Response redeem(String key, String code) {
        return api.post(key, COUPONS + "/redeem", "{\"code\":\"" + code + "\"}");
    }

    private void assertRefused(String key, String code, String reason) {
        var response = redeem(key, code);
        assertThat(response.status()).as(response.body()).isEqualTo(400);
        assertThat(response.detail()).isEqualTo(reason);
        var validity = api.get(key, COUPONS + "/validate/" + code);
        assertThat(validity.status()).isEqualTo(200);
        assertThat(validity.json().path("valid").asBoolean()).isFalse();
        assertThat(validity.json().path("reason").asString()).as("validate agrees with redeem").isEqualTo(reason);
    }

    private void assertInvalid(String body, String field, String detail) {
        var response = create(body);
        assertThat(response.status()).as(body + " → " + response.body()).isEqualTo(422);
        assertThat(response.json().path("errors").valueStream().map(e -> e.path("field").asString()))
                .as(body).contains(field);
        if (detail != null) {
            assertThat(response.detail()).isEqualTo(detail);
        }
    }

    /** The coupon as the admin listing shows it. */
    private JsonNode coupon(String code) {
        var all = api.get(adminKey(), COUPONS + "?active_only=false&limit=500");
        return all.json().valueStream().filter(c -> c.path("code").asString().equals(code)).findFirst().orElseThrow();
    }

    private static List<String> codesAmong(Api.Response list, List<String> codes) {
        return list.json().valueStream().map(c -> c.path("code").asString()).filter(codes::contains).toList();
    }
}
