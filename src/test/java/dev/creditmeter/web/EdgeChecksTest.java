package dev.creditmeter.web;

import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checks every route gets at the edge, whatever it does: text the database cannot store, numbers out
 * of range, fields and parameters the route does not take. Each is a 422 naming the field, and nothing
 * is stored.
 */
class EdgeChecksTest extends ApiTest {

    private static final String CREDITS = "/api/v1/credits";

    @Autowired
    JdbcClient jdbc;

    private long ledgerRows() {
        return jdbc.sql("select count(*) from credit_transactions").query(Long.class).single();
    }

    private void assertInvalid(dev.creditmeter.Api.Response response, String field) {
        assertThat(response.status()).as(response.body()).isEqualTo(422);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.json().path("errors").findValuesAsString("field")).as(response.body()).contains(field);
    }

    @Test
    void refusesNulInAUserIdASourceAndMetadata() {
        String user = newUserId();
        long before = ledgerRows();

        assertInvalid(api.post(adminKey(), CREDITS + "/allocate",
                "{\"user_id\":\"a\\u0000b\",\"amount\":1,\"source\":\"test\"}"), "user_id");
        assertInvalid(api.post(adminKey(), CREDITS + "/allocate",
                "{\"user_id\":\"" + user + "\",\"amount\":1,\"source\":\"te\\u0000st\"}"), "source");
        assertInvalid(api.post(adminKey(), CREDITS + "/allocate",
                "{\"user_id\":\"" + user + "\",\"amount\":1,\"source\":\"test\",\"metadata\":{\"k\\u0000\":\"v\"}}"),
                "metadata");
        assertInvalid(api.post(adminKey(), CREDITS + "/allocate",
                "{\"user_id\":\"" + user + "\",\"amount\":1,\"source\":\"test\",\"metadata\":{\"deep\":{\"note\":\"v\\u0000\"}}}"),
                "metadata.deep.note");

        assertThat(ledgerRows()).isEqualTo(before);
        assertThat(api.get(adminKey(), CREDITS + "/admin/accounts/" + user).status()).isEqualTo(404);
    }

    @Test
    void aJwtWhoseUserCannotBeStoredIsNotACaller() {
        long before = ledgerRows();

        var balance = api.get(JWT.token("a\u0000b", java.util.List.of()), CREDITS + "/balance");

        assertThat(balance.status()).as(balance.body()).isEqualTo(401);
        assertThat(ledgerRows()).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"A\\u0000B", "\\u0000", "\\ud800", "WELCOME\\u202e"})
    void aCouponCodeThatCannotExistIsNotFound(String code) {
        String user = keyFor(newUserId(), "user");
        long before = ledgerRows();

        var redeemed = api.post(user, CREDITS + "/coupons/redeem", "{\"code\":\"" + code + "\"}");

        assertThat(redeemed.status()).as(redeemed.body()).isEqualTo(400);
        assertThat(redeemed.detail()).isEqualTo("Coupon code not found");
        assertThat(ledgerRows()).isEqualTo(before);
    }

    @Test
    void validatingACouponCodeWithAControlCharacterAnswersNotFound() {
        var validated = api.get(keyFor(newUserId(), "user"), CREDITS + "/coupons/validate/A%01B");

        assertThat(validated.status()).as(validated.body()).isEqualTo(200);
        assertThat(validated.json().path("valid").asBoolean()).isFalse();
        assertThat(validated.json().path("reason").asString()).isEqualTo("Coupon code not found");
    }

    /** Tomcat itself refuses an encoded NUL in a path, before any route runs; the answer is still problem+json. */
    @Test
    void aPathWithAnEncodedNulIsABadRequestInProblemJson() {
        var validated = api.get(keyFor(newUserId(), "user"), CREDITS + "/coupons/validate/A%00B");

        assertThat(validated.status()).as(validated.body()).isEqualTo(400);
        assertThat(validated.header("Content-Type")).startsWith("application/problem+json");
        assertThat(validated.json().path("status").asInt()).isEqualTo(400);
    }

    @Test
    void refusesNulInAQueryValue() {
        assertInvalid(api.get(adminKey(), CREDITS + "/balance?user_id=a%00b"), "user_id");
        assertInvalid(api.get(adminKey(), CREDITS + "/transactions?transaction_type=usage%00"), "transaction_type");
    }

    @ParameterizedTest
    @ValueSource(strings = {"9223372036854775808", "1e20", "-9223372036854775809", "12345678901234567890123"})
    void aTokenCountOutOfRangeIsInvalidNotMalformed(String tokens) {
        var tracked = api.post(adminKey(), CREDITS + "/usage/track",
                "{\"user_id\":\"" + newUserId() + "\",\"service\":\"llm\",\"tokens\":" + tokens + "}");

        assertInvalid(tracked, "tokens");
    }

    @Test
    void anUnknownBodyFieldIsRefusedAndChargesNothing() {
        String user = newUserId();
        balanceOf(user);
        long before = ledgerRows();

        var tracked = api.post(adminKey(), CREDITS + "/usage/track",
                "{\"user_id\":\"" + user + "\",\"service\":\"llm\",\"model\":\"openai/gpt-4o\",\"input_token\":5000,"
                        + "\"output_tokens\":10}");

        assertInvalid(tracked, "input_token");
        assertThat(tracked.json().path("errors").get(0).path("message").asString()).isEqualTo("is not a known field");
        assertThat(ledgerRows()).isEqualTo(before);
    }

    @Test
    void metadataTakesAnyField() {
        var tracked = api.post(adminKey(), CREDITS + "/usage/track",
                "{\"user_id\":\"" + newUserId() + "\",\"service\":\"llm\",\"cost\":0.001,"
                        + "\"metadata\":{\"anything\":{\"at\":[\"all\",1]},\"note\":\"two\\nlines\"}}");

        assertThat(tracked.status()).as(tracked.body()).isEqualTo(200);
    }

    @Test
    void anUnknownQueryParameterIsRefused() {
        var balance = api.get(adminKey(), CREDITS + "/balance?userid=alice");

        assertInvalid(balance, "userid");
        assertThat(balance.json().path("errors").get(0).path("message").asString())
                .isEqualTo("is not a parameter of this route");
    }

    @Test
    void aServiceMustNameTheUser() {
        String service = keyFor("svc-" + newUserId(), "service");

        assertInvalid(api.get(service, CREDITS + "/balance"), "user_id");
        assertInvalid(api.post(service, CREDITS + "/usage/track", "{\"service\":\"llm\",\"cost\":0.01}"), "user_id");
    }
}
