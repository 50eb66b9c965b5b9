package dev.creditmeter.web;

import dev.creditmeter.Api;
import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Malformed and adversarial requests over every route the service publishes in {@code /openapi.json} (and the
 * gateway's): wrong types, huge and tiny numbers, Unicode and control characters, SQL and script
 * metacharacters, oversized and broken bodies, wrong methods and content types, missing, forged and other
 * users' credentials, idempotency keys replayed with changed bodies. Every answer is below 500, the service
 * keeps answering, and a refused request (4xx) changes nothing: the fingerprint of the money state (ledger,
 * accounts, holds, usage, coupons, keys, prices) is the same after it as before.
 * <p>
 * {@code -Dcreditmeter.fuzz.requests=10000} for a longer run (1,000 by default); {@code -Dcreditmeter.fuzz.seed}
 * repeats a run (a failure prints its seed and request).
 */
class FuzzTest extends ApiTest {

    private static final int REQUESTS = Integer.getInteger("creditmeter.fuzz.requests", 1_000);
    private static final long SEED = Long.getLong("creditmeter.fuzz.seed", System.nanoTime());

    private static final String[] FIELDS = {"user_id", "amount", "service", "model", "event_id", "cost", "tokens_used",
            "input_tokens", "output_tokens", "source", "reason", "code", "coupon_type", "value", "max_uses", "new_tier",
            "role", "label", "ttl_seconds", "metadata", "events", "messages", "input", "prompt", "stream",
            "input_price_per_million", "output_price_per_million", "api_key", "description", "expires_at"};
    private static final String[] STRINGS = {"", " ", "a", "alice", "' OR 1=1 --", "\"; drop table credit_accounts; --",
            "<script>alert(1)</script>", "../../etc/passwd", "%00", "\u0000", "\u0007bell", "\u202Eevil", "\uD83D\uDE00",
            "\uD800", "ÅÄÖ", "null", "true", "1e309", "-0", "NaN", "Infinity", "0x10", "cm_" + "x".repeat(40),
            "sk-or-v1-" + "0".repeat(64), "x".repeat(300), "x".repeat(5_000), "openai/gpt-4o", "credit_bonus",
            "starter", "enterprise", "admin", "service", "user", "\t\n\r", "${jndi:ldap://x}", "{{7*7}}"};
    private static final String[] NUMBERS = {"0", "-1", "1", "0.000001", "0.0000001", "1e-7", "1e6", "1e9", "1e10",
            "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1e308", "123456789012345678901234567890",
            "0.1", "-0.0", "3.14159265358979323846264338327950288", "1E+2"};
    private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};

    @Autowired
    JdbcClient jdbc;

    private record Route(String method, String path) {
    }

    @Test
    void refusedRequestsAreFourHundredsAndChangeNothing() throws Exception {
        var random = new Random(SEED);
        List<Route> routes = routes();
        String victim = newUserId();
        String user = newUserId();
        String userKey = keyFor(user, "user");
        String serviceKey = keyFor(newUserId(), "service");
        String victimKey = keyFor(victim, "user");
        String adminKey = keyFor(newUserId(), "admin"); // not the bootstrap key, which the other tests need
        // Both accounts exist before the first request: a charge path opens a missing account even when it then
        // refuses the charge (docs/api.md §1.9), which is not a refused request changing the state.
        balanceOf(user);
        balanceOf(victim);
        String[] tokens = {null, "", "garbage", "cm_" + "a".repeat(43), userKey, userKey + "x", serviceKey, adminKey,
                victimKey, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.", userKey.toUpperCase()};
        String[] valid = {userKey, serviceKey, adminKey, victimKey};
        String idempotencyKey = "fuzz-" + SEED;
        var http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        var seen = new TreeMap<Integer, Integer>();

        for (int i = 0; i < REQUESTS; i++) {
            Route route = routes.get(random.nextInt(routes.size()));
            String method = random.nextInt(8) == 0 ? METHODS[random.nextInt(METHODS.length)] : route.method();
            String path = fill(route.path(), random, user, victim) + query(random, user, victim);
            // most requests carry a working key, so that they reach the routes' own checks
            String token = random.nextInt(10) < 7 ? valid[random.nextInt(valid.length)] : tokens[random.nextInt(tokens.length)];
            String body = method.equals("GET") || method.equals("HEAD") || method.equals("DELETE") ? null : body(random, user, victim);
            var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
            if (random.nextInt(4) == 0) {
                request.header("Idempotency-Key", idempotencyKey); // replayed with whatever body comes next
            }
            String contentType = switch (random.nextInt(10)) {
                case 0 -> "text/plain";
                case 1 -> "application/xml";
                case 2 -> "application/json; charset=latin1";
                default -> "application/json";
            };
            request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            if (body != null) {
                request.header("Content-Type", contentType);
            }
            String before = fingerprint(user, victim);
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            String after = fingerprint(user, victim);
            String what = "seed " + SEED + ", request " + i + ": " + method + " " + path + " token=" + (token == null ? "none" : token.length())
                    + " body=" + (body == null ? "none" : body.length() > 300 ? body.substring(0, 300) + "…" : body)
                    + " → " + response.statusCode() + " " + abbreviate(response.body());
            seen.merge(response.statusCode(), 1, Integer::sum);
            assertThat(response.statusCode()).as(what).isLessThan(500);
            if (response.statusCode() >= 400) {
                assertThat(after).as("a refused request changed the state: " + what).isEqualTo(before);
            }
            if (i % 100 == 99) {
                assertThat(api.get(null, "/actuator/health").status()).as("responsive after " + (i + 1)).isEqualTo(200);
            }
        }
        System.out.printf("FuzzTest: %d requests, seed %d, answers by status %s%n", REQUESTS, SEED, seen);
        assertLedgerConsistent();
    }

    /** Every route of the published API, plus the gateway's, with its method. */
    private List<Route> routes() {
        JsonNode spec = api.get(null, "/openapi.json").json();
        var routes = new ArrayList<Route>();
        // Revoking API keys by id is left out: a guessed small id is the bootstrap admin key every other test uses.
        spec.path("paths").properties().stream().filter(path -> !path.getKey().contains("/api-keys/"))
                .forEach(path -> path.getValue().properties().forEach(operation ->
                        routes.add(new Route(operation.getKey().toUpperCase(), path.getKey()))));
        for (String gateway : List.of("/v1/chat/completions", "/v1/embeddings", "/v1/responses", "/v1/completions")) {
            routes.add(new Route("POST", gateway));
        }
        routes.add(new Route("GET", "/v1/models/{id}"));
        assertThat(routes).as("the published routes").hasSizeGreaterThan(30);
        return routes;
    }

    private static String fill(String template, Random random, String user, String victim) {
        String[] values = {user, victim, "1", "-1", "999999999999999999999", "%2e%2e", "%00", "abc", "%27%20OR%201%3D1",
                "openai%2Fgpt-4o", "x".repeat(300), "%E2%80%AE", "0"};
        return template.replaceAll("\\{[^}]+}", java.util.regex.Matcher.quoteReplacement(values[random.nextInt(values.length)]));
    }

    private static String query(Random random, String user, String victim) {
        if (random.nextInt(3) != 0) {
            return "";
        }
        String[] params = {"user_id", "limit", "offset", "days", "start_date", "end_date", "type", "q", "status", "bogus"};
        String[] values = {user, victim, "-1", "0", "501", "abc", "2026-13-45", "%00", "%27", "1e9", ""};
        var query = new StringBuilder("?");
        for (int k = 0; k <= random.nextInt(3); k++) {
            query.append(k == 0 ? "" : "&").append(params[random.nextInt(params.length)]).append('=')
                    .append(values[random.nextInt(values.length)]);
        }
        return query.toString();
    }

    private static String body(Random random, String user, String victim) {
        return switch (random.nextInt(12)) {
            case 0 -> "";
            case 1 -> "{";
            case 2 -> "[]";
            case 3 -> "null";
            case 4 -> "{\"user_id\":\"" + user + "\",\"amount\":" + NUMBERS[random.nextInt(NUMBERS.length)] + "}";
            case 5 -> "{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}";
            case 6 -> "{\"x\":\"" + "y".repeat(70_000) + "\"}";
            case 7 -> "\u0000\u0001\u0002";
            default -> object(random, user, victim, 0);
        };
    }

    private static String object(Random random, String user, String victim, int depth) {
        var object = new StringBuilder("{");
        int fields = random.nextInt(6);
        for (int k = 0; k < fields; k++) {
            object.append(k == 0 ? "" : ",").append(quote(FIELDS[random.nextInt(FIELDS.length)])).append(':')
                    .append(value(random, user, victim, depth));
        }
        return object.append('}').toString();
    }

    private static String value(Random random, String user, String victim, int depth) {
        return switch (random.nextInt(depth > 2 ? 6 : 8)) {
            case 0 -> NUMBERS[random.nextInt(NUMBERS.length)];
            case 1 -> quote(STRINGS[random.nextInt(STRINGS.length)]);
            case 2 -> quote(random.nextBoolean() ? user : victim);
            case 3 -> random.nextBoolean() ? "true" : "null";
            case 4 -> quote(NUMBERS[random.nextInt(NUMBERS.length)]);
            case 5 -> "[]";
            case 6 -> object(random, user, victim, depth + 1);
            default -> "[" + value(random, user, victim, depth + 1) + "," + value(random, user, victim, depth + 1) + "]";
        };
    }

    private static String quote(String text) {
        var quoted = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        quoted.append(String.format("\\u%04x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }

    /**
     * What money and access look like, in one row: the ledger, accounts, holds, usage, coupons and their
     * redemptions, API keys, prices and BYOK accounts. Not the audit log (it records refusals, by design), the
     * coupon throttle's failures (it counts refused codes, by design), idempotency records, or which holds are
     * still open (the expiry sweeper releases holds in the background, between any two requests).
     */
    private String fingerprint(String user, String victim) {
        Map<String, Object> row = jdbc.sql("""
                select (select count(*) from credit_transactions) as transactions,
                       (select coalesce(sum(amount_micros), 0) from credit_transactions) as ledger_sum,
                       (select count(*) from credit_accounts) as accounts,
                       (select coalesce(sum(allowance_micros + bonus_micros), 0) from credit_accounts) as balances,
                       (select string_agg(user_id || ':' || tier, ',' order by user_id) from credit_accounts
                         where user_id in (:user, :victim)) as tiers,
                       (select count(*) from credit_holds) as holds,
                       (select count(*) from usage_events) as events,
                       (select count(*) from coupon_codes) as coupons,
                       (select coalesce(sum(used_count), 0) from coupon_codes) as coupon_uses,
                       (select count(*) from coupon_codes where is_active) as active_coupons,
                       (select count(*) from coupon_redemptions) as redemptions,
                       (select count(*) from api_keys) as keys,
                       (select count(*) from api_keys where revoked_at is not null) as revoked_keys,
                       (select count(*) from model_prices) as prices,
                       (select count(*) from openrouter_accounts) as byok
                """).param("user", user).param("victim", victim).query().singleRow();
        return row.toString();
    }

    private static String abbreviate(String body) {
        return body == null ? "" : body.length() > 200 ? body.substring(0, 200) + "…" : body;
    }
}
