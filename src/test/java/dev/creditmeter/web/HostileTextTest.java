package dev.creditmeter.web;

import dev.creditmeter.Api;
import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sends text the service must not store (NUL, lone surrogates, bidirectional overrides, control
 * characters, 10,000 characters) into every string field and query parameter of every route: every
 * answer is a 4xx (batch ingestion: the item rejected), nothing is stored, and the ledger verifies.
 */
class HostileTextTest extends ApiTest {

    private static final String CREDITS = "/api/v1/credits";
    private static final String SLOT = "§";

    /** As JSON string contents. */
    private static final List<String> IN_JSON = List.of("a\\u0000b", "\\u0000", "\\ud800", "x\\udc00y",
            "\\u202eevil", "iso\\u2066late", "x".repeat(10_000), "a\\u0001b", "esc\\u001b[31m", "del\\u007f",
            "nel\\u0085");
    /** As percent-encoded query values; %ED%A0%80 is a lone surrogate in CESU-8, which is not UTF-8. */
    private static final List<String> IN_QUERY = List.of("a%00b", "%00", "%ED%A0%80", "%E2%80%AEevil",
            "x".repeat(10_000), "a%01b", "esc%1B", "del%7F", "nel%C2%85");
    private static final List<String> TABLES = List.of("credit_accounts", "credit_transactions", "usage_events",
            "credit_holds", "coupon_codes", "coupon_redemptions", "api_keys", "openrouter_accounts",
            "idempotency_keys", "model_prices");

    @Autowired
    JdbcClient jdbc;

    private record Call(String token, String method, String path, String body) {
    }

    @Test
    void hostileTextIsRefusedEverywhereAndNothingIsStored() {
        String user = newUserId();
        String userKey = keyFor(user, "user");
        String serviceKey = keyFor("svc-" + newUserId(), "service");
        allocate(user, "10");
        var hold = api.post(adminKey(), CREDITS + "/holds", "{\"user_id\":\"" + user + "\",\"amount\":0.01}");
        assertThat(hold.status()).as(hold.body()).isEqualTo(201);
        long holdId = hold.json().path("hold_id").asLong();
        String coupon = "HOSTILE-" + Math.abs(user.hashCode());
        assertThat(api.post(adminKey(), CREDITS + "/coupons/create",
                "{\"coupon_type\":\"credit_bonus\",\"value\":1,\"code\":\"" + coupon + "\"}").status()).isEqualTo(200);
        String u = "\"" + user + "\"";
        String admin = adminKey();

        List<Call> bodies = List.of(
                new Call(admin, "POST", "/allocate", "{\"user_id\":\"§\",\"amount\":1,\"source\":\"s\"}"),
                new Call(admin, "POST", "/allocate", "{\"user_id\":" + u + ",\"amount\":1,\"source\":\"§\"}"),
                new Call(admin, "POST", "/allocate", "{\"user_id\":" + u + ",\"amount\":1,\"source\":\"s\",\"metadata\":{\"k\":\"§\"}}"),
                new Call(admin, "POST", "/allocate", "{\"user_id\":" + u + ",\"amount\":1,\"source\":\"s\",\"metadata\":{\"§\":\"v\"}}"),
                new Call(admin, "POST", "/deduct", "{\"user_id\":\"§\",\"amount\":1,\"service\":\"s\"}"),
                new Call(admin, "POST", "/deduct", "{\"user_id\":" + u + ",\"amount\":1,\"service\":\"§\"}"),
                new Call(admin, "POST", "/deduct", "{\"user_id\":" + u + ",\"amount\":1,\"service\":\"s\",\"model\":\"§\"}"),
                new Call(admin, "POST", "/deduct", "{\"user_id\":" + u + ",\"amount\":1,\"service\":\"s\",\"cost_breakdown\":{\"in\":\"§\"}}"),
                new Call(admin, "POST", "/deduct", "{\"user_id\":" + u + ",\"amount\":1,\"service\":\"s\",\"metadata\":{\"a\":[\"§\"]}}"),
                new Call(admin, "POST", "/refund", "{\"user_id\":\"§\",\"amount\":1,\"reason\":\"r\"}"),
                new Call(admin, "POST", "/refund", "{\"user_id\":" + u + ",\"amount\":1,\"reason\":\"§\"}"),
                new Call(admin, "POST", "/refund", "{\"user_id\":" + u + ",\"amount\":1,\"reason\":\"r\",\"metadata\":{\"k\":\"§\"}}"),
                new Call(admin, "POST", "/usage/track", "{\"user_id\":\"§\",\"service\":\"s\",\"cost\":0.01}"),
                new Call(admin, "POST", "/usage/track", "{\"user_id\":" + u + ",\"service\":\"§\",\"cost\":0.01}"),
                new Call(admin, "POST", "/usage/track", "{\"user_id\":" + u + ",\"service\":\"s\",\"model\":\"§\",\"cost\":0.01}"),
                new Call(admin, "POST", "/usage/track", "{\"user_id\":" + u + ",\"service\":\"s\",\"event_id\":\"§\",\"cost\":0.01}"),
                new Call(admin, "POST", "/usage/track", "{\"user_id\":" + u + ",\"service\":\"s\",\"cost\":0.01,\"metadata\":{\"request_id\":\"§\"}}"),
                new Call(userKey, "POST", "/usage/track", "{\"service\":\"s\",\"cost\":0.01,\"metadata\":{\"k\":{\"deep\":\"§\"}}}"),
                new Call(serviceKey, "POST", "/usage/events", "{\"events\":[{\"user_id\":\"§\",\"event_id\":\"e\",\"service\":\"s\",\"cost\":0.01}]}"),
                new Call(serviceKey, "POST", "/usage/events", "{\"events\":[{\"user_id\":" + u + ",\"event_id\":\"§\",\"service\":\"s\",\"cost\":0.01}]}"),
                new Call(serviceKey, "POST", "/usage/events", "{\"events\":[{\"user_id\":" + u + ",\"event_id\":\"e\",\"service\":\"§\",\"cost\":0.01}]}"),
                new Call(serviceKey, "POST", "/usage/events", "{\"events\":[{\"user_id\":" + u + ",\"event_id\":\"e\",\"service\":\"s\",\"model\":\"§\"}]}"),
                new Call(serviceKey, "POST", "/usage/events", "{\"events\":[{\"user_id\":" + u + ",\"event_id\":\"e\",\"service\":\"s\",\"metadata\":{\"k\":\"§\"}}]}"),
                new Call(serviceKey, "POST", "/integrations/litellm", "{\"id\":\"§\",\"status\":\"success\",\"end_user\":" + u + ",\"model\":\"m\",\"response_cost\":0.01}"),
                new Call(serviceKey, "POST", "/integrations/litellm", "{\"id\":\"l1\",\"status\":\"success\",\"end_user\":\"§\",\"model\":\"m\",\"response_cost\":0.01}"),
                new Call(serviceKey, "POST", "/integrations/litellm", "{\"id\":\"l2\",\"status\":\"success\",\"end_user\":" + u + ",\"model\":\"§\",\"response_cost\":0.01}"),
                new Call(serviceKey, "POST", "/integrations/litellm", "{\"id\":\"l3\",\"status\":\"success\",\"end_user\":" + u + ",\"model\":\"m\",\"call_type\":\"§\",\"response_cost\":0.01}"),
                new Call(admin, "POST", "/holds", "{\"user_id\":\"§\",\"amount\":0.01}"),
                new Call(admin, "POST", "/holds", "{\"user_id\":" + u + ",\"amount\":0.01,\"metadata\":{\"k\":\"§\"}}"),
                new Call(admin, "POST", "/holds/" + holdId + "/capture", "{\"service\":\"§\",\"cost\":0.01}"),
                new Call(admin, "POST", "/holds/" + holdId + "/capture", "{\"service\":\"s\",\"model\":\"§\",\"cost\":0.01}"),
                new Call(admin, "POST", "/holds/" + holdId + "/capture", "{\"service\":\"s\",\"event_id\":\"§\",\"cost\":0.01}"),
                new Call(admin, "POST", "/holds/" + holdId + "/capture", "{\"amount\":0.01,\"metadata\":{\"k\":\"§\"}}"),
                new Call(admin, "POST", "/coupons/create", "{\"coupon_type\":\"§\",\"value\":1}"),
                new Call(admin, "POST", "/coupons/create", "{\"coupon_type\":\"credit_bonus\",\"value\":1,\"code\":\"§\"}"),
                new Call(admin, "POST", "/coupons/create", "{\"coupon_type\":\"credit_bonus\",\"value\":1,\"description\":\"§\"}"),
                new Call(admin, "POST", "/coupons/create", "{\"coupon_type\":\"credit_bonus\",\"value\":1,\"expires_at\":\"§\"}"),
                new Call(userKey, "POST", "/coupons/redeem", "{\"code\":\"§\"}"),
                new Call(userKey, "POST", "/coupons/redeem", "{\"code\":\"" + coupon + "\",\"metadata\":{\"k\":\"§\"}}"),
                new Call(admin, "POST", "/coupons/redeem", "{\"code\":\"" + coupon + "\",\"user_id\":\"§\"}"),
                new Call(admin, "POST", "/tiers/switch", "{\"user_id\":\"§\",\"new_tier\":\"starter\"}"),
                new Call(admin, "POST", "/tiers/switch", "{\"user_id\":" + u + ",\"new_tier\":\"§\"}"),
                new Call(admin, "POST", "/admin/api-keys", "{\"user_id\":\"§\",\"role\":\"user\"}"),
                new Call(admin, "POST", "/admin/api-keys", "{\"user_id\":" + u + ",\"role\":\"§\"}"),
                new Call(admin, "POST", "/admin/api-keys", "{\"user_id\":" + u + ",\"role\":\"user\",\"label\":\"§\"}"),
                new Call(userKey, "POST", "/openrouter/create-account", "{\"api_key\":\"§\"}"),
                new Call(userKey, "POST", "/openrouter/create-account", "{\"api_key\":\"sk-or-v1-x\",\"email\":\"§\"}"),
                new Call(admin, "POST", "/openrouter/create-account", "{\"api_key\":\"sk-or-v1-x\",\"user_id\":\"§\"}"),
                new Call(userKey, "POST", "/v1/chat/completions", "{\"model\":\"§\",\"messages\":[]}"));

        List<Call> queries = new ArrayList<>();
        for (String route : List.of("/balance", "/transactions", "/usage/summary", "/usage/by-model", "/usage/by-service",
                "/usage/free-tier", "/usage/daily", "/usage/export.csv", "/coupons/redemptions",
                "/coupons/validate/" + coupon, "/openrouter/account", "/admin/audit")) {
            queries.add(new Call(admin, "GET", route + "?user_id=§", null));
        }
        for (String query : List.of("/transactions?transaction_type=§", "/usage/summary?start_date=§",
                "/usage/summary?end_date=§", "/usage/export.csv?start_date=§", "/admin/accounts?search=§",
                "/admin/audit?action=§", "/admin/accounts/§", "/balance?§=1")) {
            queries.add(new Call(admin, "GET", query, null));
        }
        queries.add(new Call(admin, "PUT", "/pricing/models/§", "{\"input_price_per_million\":1,\"output_price_per_million\":1}"));

        Map<String, Long> before = counts();
        var answers = new LinkedHashMap<String, String>();
        for (Call call : bodies) {
            for (String value : IN_JSON) {
                record(answers, call, call.body().replace(SLOT, value), call.path(), value);
            }
        }
        for (Call call : queries) {
            for (String value : IN_QUERY) {
                record(answers, call, call.body(), call.path().replace(SLOT, value), value);
            }
        }

        assertThat(answers).as("calls whose answer was not a refusal").isEmpty();
        assertThat(counts()).isEqualTo(before);
        assertLedgerConsistent();
    }

    private void record(Map<String, String> failures, Call call, String body, String path, String value) {
        String url = path.startsWith("/v1/") ? path : CREDITS + path;
        Api.Response response = switch (call.method()) {
            case "GET" -> api.get(call.token(), url);
            case "PUT" -> api.put(call.token(), url, body);
            default -> api.post(call.token(), url, body);
        };
        boolean refused = response.status() >= 400 && response.status() < 500;
        boolean rejectedItem = response.status() == 200 && path.startsWith("/integrations/")
                && response.json().path("results").get(0).path("status").asString().equals("rejected");
        if (!refused && !rejectedItem) {
            String shown = value.length() > 20 ? value.substring(0, 20) + "…" : value;
            failures.put(call.method() + " " + path.replace(value, "<" + shown + ">") + " "
                            + (body == null ? "" : body.replace(value, "<" + shown + ">")),
                    response.status() + " " + (response.body().length() > 300 ? response.body().substring(0, 300) : response.body()));
        }
    }

    private Map<String, Long> counts() {
        var counts = new LinkedHashMap<String, Long>();
        for (String table : TABLES) {
            counts.put(table, jdbc.sql("select count(*) from " + table).query(Long.class).single());
        }
        return counts;
    }
}
