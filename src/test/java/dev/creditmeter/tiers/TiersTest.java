package dev.creditmeter.tiers;

import dev.creditmeter.Api;
import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The tier catalogue and tier switches (contract routes 20 and 21, §5 "Tier switch"). */
class TiersTest extends ApiTest {

    private static final String COMPARE = "/api/v1/credits/tiers/compare";
    private static final String SWITCH = "/api/v1/credits/tiers/switch";

    @AfterEach
    void ledgerStaysConsistent() {
        assertLedgerConsistent();
    }

    private Api.Response switchTier(String token, String userId, String tier) {
        return api.post(token, SWITCH, "{\"user_id\":\"" + userId + "\",\"new_tier\":\"" + tier + "\"}");
    }

    private Api.Response switched(String userId, String tier) {
        var response = switchTier(adminKey(), userId, tier);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response;
    }

    private JsonNode ledger(String userId) {
        var response = api.get(adminKey(), "/api/v1/credits/transactions?user_id=" + userId);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json();
    }

    @Test
    void comparesTheContractsFourTiersWithoutAToken() {
        var response = api.get(null, COMPARE);

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        JsonNode expected = JsonMapper.builder().build().readTree("""
                [{"tier":"trial","price_monthly":4,"credits_monthly":5,
                  "features":["100 API calls per day","Open-WebUI access","Basic AI models","Community support"],
                  "api_calls":{"limit":100,"period":"day"}},
                 {"tier":"starter","price_monthly":19,"credits_monthly":20,
                  "features":["1,000 API calls per month","Open-WebUI + Center-Deep","All AI models","BYOK support","Email support"],
                  "api_calls":{"limit":1000,"period":"month"}},
                 {"tier":"professional","price_monthly":49,"credits_monthly":60,
                  "features":["10,000 API calls per month","All services (Chat, Search, TTS, STT)","Billing dashboard access",
                              "Priority support","BYOK support"],
                  "api_calls":{"limit":10000,"period":"month"}},
                 {"tier":"enterprise","price_monthly":99,"credits_monthly":999999.99,
                  "features":["Unlimited API calls","Team management (5 seats)","Custom integrations","24/7 dedicated support",
                              "White-label options"],
                  "api_calls":{"limit":null,"period":"month"}}]
                """);
        assertThat(response.json()).isEqualTo(expected);
    }

    @Test
    void aNewAccountGetsTheTrialTiersAllowance() {
        JsonNode balance = balanceOf(newUserId());

        assertThat(balance.path("tier").asString()).isEqualTo("trial");
        assertThat(balance.path("allocated_monthly").decimalValue()).isEqualByComparingTo("5");
        assertThat(balance.path("balance").decimalValue()).isEqualByComparingTo("5");
    }

    @Test
    void switchingExpiresTheUnusedAllowanceAndGrantsTheNewTiersFromNow() {
        String user = newUserId();
        balanceOf(user);
        deduct(adminKey(), user, "1.5", java.util.Map.of());
        Instant before = Instant.now();

        JsonNode balance = switched(user, "starter").json();

        assertThat(balance.path("tier").asString()).isEqualTo("starter");
        assertThat(balance.path("balance").decimalValue()).isEqualByComparingTo("20");
        assertThat(balance.path("allowance_remaining").decimalValue()).isEqualByComparingTo("20");
        assertThat(balance.path("allocated_monthly").decimalValue()).isEqualByComparingTo("20");
        assertThat(balance.path("free_tier_used").decimalValue()).isEqualByComparingTo("0");
        Instant resetDate = Instant.parse(balance.path("reset_date").asString());
        assertThat(resetDate).isCloseTo(before.atOffset(ZoneOffset.UTC).plusMonths(1).toInstant(),
                within(1, ChronoUnit.MINUTES));
        assertThat(balance.path("api_calls").path("limit").asLong()).isEqualTo(1000);

        JsonNode ledger = ledger(user);
        JsonNode grant = ledger.get(0);
        assertThat(grant.path("transaction_type").asString()).isEqualTo("monthly_reset");
        assertThat(grant.path("amount").decimalValue()).isEqualByComparingTo("20");
        assertThat(grant.path("balance_after").decimalValue()).isEqualByComparingTo("20");
        assertThat(grant.path("metadata").path("tier").asString()).isEqualTo("starter");
        assertThat(grant.path("metadata").path("allocation").decimalValue()).isEqualByComparingTo("20");
        assertThat(Instant.parse(grant.path("metadata").path("next_reset").asString())).isEqualTo(resetDate);
        JsonNode expiry = ledger.get(1);
        assertThat(expiry.path("transaction_type").asString()).isEqualTo("expiration");
        assertThat(expiry.path("amount").decimalValue()).isEqualByComparingTo("-3.5");
        assertThat(expiry.path("balance_after").decimalValue()).isEqualByComparingTo("0");

        var audit = api.get(adminKey(), "/api/v1/credits/admin/audit?action=tier.switch&user_id=" + user);
        assertThat(audit.json().size()).as(audit.body()).isEqualTo(1);
        assertThat(audit.json().get(0).path("outcome").asString()).isEqualTo("success");
    }

    @Test
    void switchingKeepsBonusCreditsAndWritesNoExpirationWhenNoAllowanceIsLeft() {
        String user = newUserId();
        allocate(user, "2");
        deduct(adminKey(), user, "5", java.util.Map.of());

        JsonNode balance = switched(user, "professional").json();

        assertThat(balance.path("balance").decimalValue()).isEqualByComparingTo("62");
        assertThat(balance.path("bonus_credits").decimalValue()).isEqualByComparingTo("2");
        JsonNode ledger = ledger(user);
        assertThat(ledger.get(0).path("transaction_type").asString()).isEqualTo("monthly_reset");
        assertThat(ledger.get(1).path("transaction_type").asString()).isEqualTo("usage");
        for (JsonNode row : ledger) {
            assertThat(row.path("transaction_type").asString()).isNotEqualTo("expiration");
        }
    }

    @Test
    void switchingToTheSameTierChangesNothing() {
        String user = newUserId();
        JsonNode before = balanceOf(user);

        JsonNode after = switched(user, "trial").json();

        assertThat(after.path("balance").decimalValue()).isEqualByComparingTo("5");
        assertThat(after.path("reset_date").asString()).isEqualTo(before.path("reset_date").asString());
        assertThat(ledger(user).size()).isEqualTo(1);
    }

    @Test
    void switchingProvisionsAnUnknownUser() {
        String user = newUserId();

        JsonNode balance = switched(user, "starter").json();

        assertThat(balance.path("balance").decimalValue()).isEqualByComparingTo("20");
        assertThat(ledger(user).size()).as("purchase, expiration, monthly_reset").isEqualTo(3);
    }

    @Test
    void debtIsRepaidFromTheNewAllowanceFirst() {
        String user = newUserId();
        var track = api.post(adminKey(), "/api/v1/credits/usage/track",
                "{\"user_id\":\"" + user + "\",\"service\":\"chat\",\"cost\":7}");
        assertThat(track.status()).as(track.body()).isEqualTo(200);
        assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("-3.05");

        JsonNode balance = switched(user, "starter").json();

        assertThat(balance.path("balance").decimalValue()).isEqualByComparingTo("16.95");
        assertThat(balance.path("allowance_remaining").decimalValue()).isEqualByComparingTo("16.95");
        assertThat(balance.path("bonus_credits").decimalValue()).isEqualByComparingTo("0");
        assertThat(ledger(user).get(0).path("amount").decimalValue()).isEqualByComparingTo("20");
    }

    @Test
    void rejectsATierNotInTheCatalogue() {
        var response = switchTier(adminKey(), newUserId(), "platinum");

        assertThat(response.status()).as(response.body()).isEqualTo(422);
        assertThat(response.detail()).isEqualTo("Invalid tier");
    }

    @Test
    void aUserMayNotSwitchTiersButAServiceMay() {
        String user = newUserId();

        var asUser = switchTier(keyFor(user, "user"), user, "enterprise");
        var asService = switchTier(keyFor("svc-" + user, "service"), user, "enterprise");

        assertThat(asUser.status()).isEqualTo(403);
        assertThat(asUser.detail()).isEqualTo("Admin access required");
        assertThat(asService.status()).as(asService.body()).isEqualTo(200);
        assertThat(asService.json().path("api_calls").path("limit").isNull()).isTrue();
    }
}
