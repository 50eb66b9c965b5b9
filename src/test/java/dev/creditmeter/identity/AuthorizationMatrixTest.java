package dev.creditmeter.identity;

import dev.creditmeter.Api;
import dev.creditmeter.ApiTest;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every route against every kind of caller, as contract §0 and §5 ("Roles on routes") say: no or a
 * bad credential → 401, a role the route does not admit → 403 {@code Admin access required}, else
 * the route answers, acting on the caller (a user) or on the named user (admin, service).
 */
class AuthorizationMatrixTest extends ApiTest {

    private static final String CREDITS = "/api/v1/credits";
    private static final String FORBIDDEN = "Admin access required";

    /** The role a caller ends up with; {@code NONE} means it must not get past authentication. */
    enum Effective { NONE, USER, ADMIN, SERVICE }

    /** Ways of calling; each names the role the contract gives it. */
    enum CallerKind {
        ANONYMOUS(Effective.NONE),
        USER_KEY(Effective.USER),
        ADMIN_KEY(Effective.ADMIN),
        BOOTSTRAP_ADMIN_KEY(Effective.ADMIN),
        SERVICE_KEY(Effective.SERVICE),
        REVOKED_USER_KEY(Effective.NONE),
        REVOKED_ADMIN_KEY(Effective.NONE),
        REVOKED_SERVICE_KEY(Effective.NONE),
        RANDOM_CM_KEY(Effective.NONE),
        API_KEY_WITH_EXTRA_CHAR(Effective.NONE),
        GARBAGE_TOKEN(Effective.NONE),
        GARBAGE_JWT_SHAPED(Effective.NONE),
        EXPIRED_JWT(Effective.NONE),
        EXPIRED_ADMIN_JWT(Effective.NONE),
        FORGED_JWT(Effective.NONE),
        FORGED_ADMIN_JWT(Effective.NONE),
        WRONG_ISSUER_JWT(Effective.NONE),
        JWT_USER(Effective.USER),
        JWT_UNKNOWN_ROLE(Effective.USER),
        JWT_MODERATOR(Effective.ADMIN),
        JWT_ADMIN(Effective.ADMIN),
        JWT_SERVICE(Effective.SERVICE);

        final Effective role;

        CallerKind(Effective role) {
            this.role = role;
        }
    }

    /** One caller in one test: its token, its own user id and the other user it tries to act on. */
    record Ctx(CallerKind kind, String token, String self, String other) {
        @Override
        public String toString() {
            return kind.name();
        }
    }

    /**
     * A route: how to call it and who may. {@code call} sends the request for a caller; {@code allowed}
     * lists the roles that get past security.
     */
    record Route(String name, Set<Effective> allowed, int success, BiFunction<AuthorizationMatrixTest, Ctx, Api.Response> call) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final Set<Effective> ANY = Set.of(Effective.USER, Effective.ADMIN, Effective.SERVICE);
    private static final Set<Effective> ADMIN_SERVICE = Set.of(Effective.ADMIN, Effective.SERVICE);
    private static final Set<Effective> ADMIN = Set.of(Effective.ADMIN);

    private static final List<Route> ROUTES = List.of(
            new Route("GET /balance?user_id=<other>", ANY, 200,
                    (t, c) -> t.api.get(c.token(), CREDITS + "/balance?user_id=" + c.other())),
            new Route("GET /transactions?user_id=<other>", ANY, 200,
                    (t, c) -> t.api.get(c.token(), CREDITS + "/transactions?user_id=" + c.other())),
            new Route("POST /allocate", ADMIN_SERVICE, 200,
                    (t, c) -> t.api.post(c.token(), CREDITS + "/allocate",
                            "{\"user_id\":\"" + c.other() + "\",\"amount\":1,\"source\":\"matrix\"}")),
            new Route("POST /deduct", ADMIN_SERVICE, 200,
                    (t, c) -> t.api.post(c.token(), CREDITS + "/deduct",
                            "{\"user_id\":\"" + c.other() + "\",\"amount\":0.5,\"service\":\"matrix\"}")),
            new Route("POST /refund", ADMIN_SERVICE, 200,
                    (t, c) -> t.api.post(c.token(), CREDITS + "/refund",
                            "{\"user_id\":\"" + c.other() + "\",\"amount\":0.25,\"reason\":\"matrix\"}")),
            new Route("POST /tiers/switch", ADMIN_SERVICE, 200,
                    (t, c) -> t.api.post(c.token(), CREDITS + "/tiers/switch",
                            "{\"user_id\":\"" + c.other() + "\",\"new_tier\":\"starter\"}")),
            new Route("POST /holds", ANY, 201,
                    (t, c) -> t.api.post(c.token(), CREDITS + "/holds",
                            "{\"user_id\":\"" + c.other() + "\",\"amount\":0.5,\"ttl_seconds\":60}")),
            new Route("GET /admin/ledger/verify", ADMIN, 200,
                    (t, c) -> t.api.get(c.token(), CREDITS + "/admin/ledger/verify")),
            new Route("GET /admin/usage/totals", ADMIN, 200,
                    (t, c) -> t.api.get(c.token(), CREDITS + "/admin/usage/totals?days=1")),
            new Route("GET /me", ANY, 200,
                    (t, c) -> t.api.get(c.token(), CREDITS + "/me")),
            new Route("GET /admin/audit", ADMIN, 200,
                    (t, c) -> t.api.get(c.token(), CREDITS + "/admin/audit?limit=5")),
            new Route("POST /admin/api-keys", ADMIN, 201,
                    (t, c) -> t.api.post(c.token(), CREDITS + "/admin/api-keys",
                            "{\"user_id\":\"" + c.other() + "\",\"role\":\"admin\",\"label\":\"matrix\"}")),
            new Route("GET /admin/api-keys", ADMIN, 200,
                    (t, c) -> t.api.get(c.token(), CREDITS + "/admin/api-keys")),
            new Route("DELETE /admin/api-keys/{id}", ADMIN, 200,
                    (t, c) -> t.deleteVictimKey(c)),
            new Route("GET /actuator/prometheus", ADMIN_SERVICE, 200,
                    (t, c) -> t.api.get(c.token(), "/actuator/prometheus")),
            new Route("POST /coupons/create", ADMIN, 200,
                    (t, c) -> t.api.post(c.token(), CREDITS + "/coupons/create",
                            "{\"coupon_type\":\"credit_bonus\",\"value\":1}")),
            new Route("GET /coupons", ADMIN, 200,
                    (t, c) -> t.api.get(c.token(), CREDITS + "/coupons?limit=5")),
            new Route("DELETE /coupons/{code}", ADMIN, 200,
                    (t, c) -> t.api.delete(c.token(), CREDITS + "/coupons/" + t.newCoupon("credit_bonus"))),
            new Route("GET /coupons/validate/{code}?user_id=<other>", ANY, 200,
                    (t, c) -> t.api.get(c.token(), CREDITS + "/coupons/validate/" + t.newCoupon("credit_bonus")
                            + "?user_id=" + c.other())),
            new Route("POST /coupons/redeem {user_id: <other>}", ANY, 200,
                    (t, c) -> t.api.post(c.token(), CREDITS + "/coupons/redeem",
                            "{\"code\":\"" + t.newCoupon("fixed_discount") + "\",\"user_id\":\"" + c.other() + "\"}")),
            new Route("GET /coupons/redemptions?user_id=<other>", ANY, 200,
                    (t, c) -> t.api.get(c.token(), CREDITS + "/coupons/redemptions?user_id=" + c.other())));

    @ParameterizedTest(name = "{0}")
    @EnumSource(CallerKind.class)
    void everyRouteAnswersAsTheContractSays(CallerKind kind) {
        Ctx caller = callerOf(kind);
        allocate(caller.other(), "100");
        String otherBefore = snapshot(caller.other());

        var soft = new SoftAssertions();
        for (Route route : ROUTES) {
            String what = route + " as " + kind;
            Api.Response response = route.call().apply(this, caller);
            if (kind.role == Effective.NONE) {
                assertUnauthorized(soft, response, what);
            } else if (!route.allowed().contains(kind.role)) {
                assertForbidden(soft, response, what);
            } else {
                soft.assertThat(response.status()).as(what + ": " + response.body()).isEqualTo(route.success());
                assertActsOnTheRightUser(soft, route, caller, response, what);
            }
        }
        soft.assertAll();

        if (kind.role != Effective.ADMIN && kind.role != Effective.SERVICE) {
            assertThat(snapshot(caller.other())).as("%s must not change another user's balance or ledger", kind)
                    .isEqualTo(otherBefore);
        }
        assertLedgerConsistent();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = CallerKind.class, names = {"ANONYMOUS", "USER_KEY", "ADMIN_KEY", "SERVICE_KEY", "JWT_USER", "JWT_SERVICE"})
    void publicRoutesAnswerEveryone(CallerKind kind) {
        String token = callerOf(kind).token();

        var openapi = api.get(token, "/openapi.json");
        assertThat(openapi.status()).as("/openapi.json as " + kind).isEqualTo(200);
        assertThat(openapi.json().path("paths").has(CREDITS + "/balance")).as(openapi.body()).isTrue();

        var health = api.get(token, "/actuator/health");
        assertThat(health.status()).as("/actuator/health as " + kind).isEqualTo(200);
        assertThat(health.json().path("status").asString()).isEqualTo("UP");

        var docs = api.get(token, "/docs");
        assertThat(docs.status()).as("/docs as " + kind).isIn(200, 301, 302);
        for (int hops = 0; hops < 5 && docs.status() / 100 == 3; hops++) {
            URI location = URI.create("http://localhost/").resolve(docs.header("Location"));
            String path = location.getRawPath() + (location.getRawQuery() == null ? "" : "?" + location.getRawQuery());
            docs = api.get(token, path);
        }
        assertThat(docs.status()).as("/docs (after redirects) as " + kind).isEqualTo(200);
        assertThat(docs.body()).containsIgnoringCase("swagger");
    }

    @Test
    void aUserReadsOnlyItsOwnDataAndCannotChangeAnothers() {
        String self = newUserId();
        String other = newUserId();
        String key = keyFor(self, "user");
        allocate(other, "40");
        String otherBefore = snapshot(other);

        var balance = api.get(key, CREDITS + "/balance?user_id=" + other);
        assertThat(balance.status()).isEqualTo(200);
        assertThat(balance.json().path("user_id").asString()).isEqualTo(self);
        assertThat(balance.json().path("balance").decimalValue()).isEqualByComparingTo("5");

        var ledger = api.get(key, CREDITS + "/transactions?user_id=" + other);
        assertThat(ledger.status()).isEqualTo(200);
        assertThat(ledger.header("X-Total-Count")).isEqualTo("1");
        for (JsonNode row : ledger.json()) {
            assertThat(row.path("user_id").asString()).isEqualTo(self);
        }

        for (String body : List.of(
                "{\"user_id\":\"" + other + "\",\"amount\":1,\"source\":\"x\"}",
                "{\"user_id\":\"" + self + "\",\"amount\":1,\"source\":\"x\"}")) {
            var allocate = api.post(key, CREDITS + "/allocate", body);
            assertThat(allocate.status()).as(body).isEqualTo(403);
            assertThat(allocate.detail()).isEqualTo(FORBIDDEN);
        }
        var deduct = api.post(key, CREDITS + "/deduct", "{\"user_id\":\"" + other + "\",\"amount\":1,\"service\":\"x\"}");
        assertThat(deduct.status()).isEqualTo(403);
        assertThat(deduct.detail()).isEqualTo(FORBIDDEN);
        var refund = api.post(key, CREDITS + "/refund", "{\"user_id\":\"" + other + "\",\"amount\":1,\"reason\":\"x\"}");
        assertThat(refund.status()).isEqualTo(403);
        assertThat(refund.detail()).isEqualTo(FORBIDDEN);

        assertThat(snapshot(other)).isEqualTo(otherBefore);
        assertThat(balanceOf(self).path("balance").decimalValue()).isEqualByComparingTo("5");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"service", "admin"})
    void adminAndServiceActOnTheNamedUser(String role) {
        String other = newUserId();
        String key = keyFor(newUserId(), role);

        var allocate = api.post(key, CREDITS + "/allocate", "{\"user_id\":\"" + other + "\",\"amount\":10,\"source\":\"x\"}");
        assertThat(allocate.status()).as(allocate.body()).isEqualTo(200);
        assertThat(allocate.json().path("user_id").asString()).isEqualTo(other);
        assertThat(allocate.json().path("balance").decimalValue()).isEqualByComparingTo("15");
        var deduct = api.post(key, CREDITS + "/deduct", "{\"user_id\":\"" + other + "\",\"amount\":3,\"service\":\"x\"}");
        assertThat(deduct.status()).as(deduct.body()).isEqualTo(200);
        assertThat(deduct.json().path("balance").decimalValue()).isEqualByComparingTo("12");
        var refund = api.post(key, CREDITS + "/refund", "{\"user_id\":\"" + other + "\",\"amount\":1,\"reason\":\"x\"}");
        assertThat(refund.status()).as(refund.body()).isEqualTo(200);
        assertThat(refund.json().path("balance").decimalValue()).isEqualByComparingTo("13");
        var balance = api.get(key, CREDITS + "/balance?user_id=" + other);
        assertThat(balance.status()).isEqualTo(200);
        assertThat(balance.json().path("user_id").asString()).isEqualTo(other);
        assertThat(balance.json().path("balance").decimalValue()).isEqualByComparingTo("13");
        var ledger = api.get(key, CREDITS + "/transactions?user_id=" + other);
        assertThat(ledger.header("X-Total-Count")).isEqualTo("4");
    }

    /** Encoded slashes are accepted (the gateway's model ids have them), but they never lead a user to an admin route. */
    @Test
    void anEncodedSlashIsNoWayIntoAnAdminRoute() {
        String key = keyFor(newUserId(), "user");
        for (String path : List.of("%2Fadmin%2Faccounts", "%2Fadmin/accounts", "/admin%2Faccounts",
                "%2Fadmin%2Fledger%2Fverify", "%2fadmin%2faudit")) {
            var response = api.get(key, CREDITS + path);
            assertThat(response.status()).as(path).isIn(403, 404);
        }
    }

    @Test
    void serviceIsRefusedOnEveryAdminRoute() {
        String key = keyFor(newUserId(), "service");
        for (String path : List.of("/admin/ledger/verify", "/admin/audit", "/admin/api-keys")) {
            var response = api.get(key, CREDITS + path);
            assertThat(response.status()).as(path).isEqualTo(403);
            assertThat(response.detail()).as(path).isEqualTo(FORBIDDEN);
        }
        var create = api.post(key, CREDITS + "/admin/api-keys", "{\"user_id\":\"x\",\"role\":\"admin\"}");
        assertThat(create.status()).isEqualTo(403);
        assertThat(create.detail()).isEqualTo(FORBIDDEN);
    }

    @Test
    void aRevokedKeyStopsWorkingAtOnce() {
        String user = newUserId();
        var created = api.post(adminKey(), CREDITS + "/admin/api-keys",
                "{\"user_id\":\"" + user + "\",\"role\":\"service\",\"label\":\"soon revoked\"}");
        assertThat(created.status()).isEqualTo(201);
        String key = created.json().path("key").asString();
        long id = created.json().path("id").asLong();
        assertThat(api.get(key, CREDITS + "/balance?user_id=" + user).status()).isEqualTo(200);

        var revoked = api.delete(adminKey(), CREDITS + "/admin/api-keys/" + id);
        assertThat(revoked.status()).as(revoked.body()).isEqualTo(200);
        assertThat(revoked.json().path("revoked_at").asString()).endsWith("Z");

        var soft = new SoftAssertions();
        assertUnauthorized(soft, api.get(key, CREDITS + "/balance?user_id=" + user), "balance after revoke");
        assertUnauthorized(soft, api.post(key, CREDITS + "/allocate",
                "{\"user_id\":\"" + user + "\",\"amount\":1,\"source\":\"x\"}"), "allocate after revoke");
        soft.assertAll();

        var again = api.delete(adminKey(), CREDITS + "/admin/api-keys/" + id);
        assertThat(again.status()).as("revoking twice").isEqualTo(200);
        var unknown = api.delete(adminKey(), CREDITS + "/admin/api-keys/999999999");
        assertThat(unknown.status()).isEqualTo(404);
    }

    @Test
    void checkOrderIs401Then403Then422() {
        String invalid = "{\"user_id\":\"\",\"amount\":-1}";
        String malformed = "{\"user_id\":";

        for (String body : List.of(invalid, malformed, "")) {
            var soft = new SoftAssertions();
            for (String token : new String[]{null, "cm_" + "0".repeat(40), JWT.expired(newUserId(), List.of("admin"))}) {
                assertUnauthorized(soft, api.post(token, CREDITS + "/allocate", body), "unauthenticated allocate " + body);
                assertUnauthorized(soft, api.post(token, CREDITS + "/admin/api-keys", body), "unauthenticated api-keys " + body);
            }
            String user = keyFor(newUserId(), "user");
            String service = keyFor(newUserId(), "service");
            for (String path : List.of("/allocate", "/deduct", "/refund", "/admin/api-keys")) {
                assertForbidden(soft, api.post(user, CREDITS + path, body), "user " + path + " " + body);
                assertForbidden(soft, api.post(JWT.token(newUserId(), List.of()), CREDITS + path, body),
                        "JWT user " + path + " " + body);
            }
            assertForbidden(soft, api.post(service, CREDITS + "/admin/api-keys", body), "service api-keys " + body);
            soft.assertAll();
        }

        String admin = adminKey();
        String service = keyFor(newUserId(), "service");
        for (String path : List.of("/allocate", "/deduct", "/refund")) {
            for (String token : new String[]{admin, service, JWT.token(newUserId(), List.of("moderator"))}) {
                var response = api.post(token, CREDITS + path, invalid);
                assertThat(response.status()).as(path + ": " + response.body()).isEqualTo(422);
                assertThat(response.json().path("errors").isArray()).isTrue();
                var fields = response.json().path("errors").valueStream().map(e -> e.path("field").asString()).toList();
                assertThat(fields).as(path).contains("amount", "user_id");
            }
        }
        var keys = api.post(admin, CREDITS + "/admin/api-keys", "{\"user_id\":\"x\",\"role\":\"root\"}");
        assertThat(keys.status()).as(keys.body()).isEqualTo(422);
        assertThat(keys.json().path("errors").get(0).path("field").asString()).isEqualTo("role");
        assertThat(api.post(admin, CREDITS + "/allocate", malformed).status()).isEqualTo(400);
    }

    @Test
    void unauthorizedAnswersAreProblemJsonWithAChallenge() {
        var response = api.get(null, CREDITS + "/balance");
        assertThat(response.status()).isEqualTo(401);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.header("WWW-Authenticate")).startsWith("Bearer");
        assertThat(response.json().path("status").asInt()).isEqualTo(401);
        assertThat(response.json().path("title").asString()).isEqualTo("Unauthorized");
        assertThat(response.detail()).isNotBlank();
    }

    // --- helpers -------------------------------------------------------------------------------

    private Ctx callerOf(CallerKind kind) {
        String self = newUserId();
        String other = newUserId();
        String token = switch (kind) {
            case ANONYMOUS -> null;
            case USER_KEY -> keyFor(self, "user");
            case ADMIN_KEY -> keyFor(self, "admin");
            case BOOTSTRAP_ADMIN_KEY -> {
                self = "admin";
                yield adminKey();
            }
            case SERVICE_KEY -> keyFor(self, "service");
            case REVOKED_USER_KEY -> revokedKey(self, "user");
            case REVOKED_ADMIN_KEY -> revokedKey(self, "admin");
            case REVOKED_SERVICE_KEY -> revokedKey(self, "service");
            case RANDOM_CM_KEY -> "cm_" + UUID.randomUUID().toString().replace("-", "") + "AbCdEfGh";
            case API_KEY_WITH_EXTRA_CHAR -> keyFor(self, "admin") + "x";
            case GARBAGE_TOKEN -> "abc";
            case GARBAGE_JWT_SHAPED -> "abc.def.ghi";
            case EXPIRED_JWT -> JWT.expired(self, List.of());
            case EXPIRED_ADMIN_JWT -> JWT.expired(self, List.of("admin"));
            case FORGED_JWT -> JWT.forged(self, List.of());
            case FORGED_ADMIN_JWT -> JWT.forged(self, List.of("admin"));
            case WRONG_ISSUER_JWT -> JWT.wrongIssuer(self, List.of("admin"));
            case JWT_USER -> JWT.token(self, List.of());
            case JWT_UNKNOWN_ROLE -> JWT.token(self, List.of("superuser", "offline_access"));
            case JWT_MODERATOR -> JWT.token(self, List.of("moderator"));
            case JWT_ADMIN -> JWT.token(self, List.of("admin"));
            case JWT_SERVICE -> JWT.token(self, List.of("service"));
        };
        return new Ctx(kind, token, self, other);
    }

    /** A fresh coupon, created by the bootstrap admin, for a route that needs one. */
    private String newCoupon(String type) {
        var created = api.post(adminKey(), CREDITS + "/coupons/create", "{\"coupon_type\":\"" + type + "\",\"value\":1}");
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        return created.json().path("code").asString();
    }

    /** Issues a key through the admin route, checks that it works, then revokes it. */
    private String revokedKey(String userId, String role) {
        var created = api.post(adminKey(), CREDITS + "/admin/api-keys",
                "{\"user_id\":\"" + userId + "\",\"role\":\"" + role + "\",\"label\":\"revoked\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String key = created.json().path("key").asString();
        assertThat(api.get(key, CREDITS + "/balance?user_id=" + userId).status()).as("fresh %s key works", role)
                .isEqualTo(200);
        var revoked = api.delete(adminKey(), CREDITS + "/admin/api-keys/" + created.json().path("id").asLong());
        assertThat(revoked.status()).as(revoked.body()).isEqualTo(200);
        return key;
    }

    /**
     * DELETE of a freshly issued key. When the caller may not revoke, the key must still work
     * afterwards; when it may, the key must stop working.
     */
    private Api.Response deleteVictimKey(Ctx caller) {
        var created = api.post(adminKey(), CREDITS + "/admin/api-keys",
                "{\"user_id\":\"" + newUserId() + "\",\"role\":\"user\",\"label\":\"victim\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String victim = created.json().path("key").asString();
        var response = api.delete(caller.token(), CREDITS + "/admin/api-keys/" + created.json().path("id").asLong());
        int victimStatus = api.get(victim, CREDITS + "/balance").status();
        assertThat(victimStatus).as("victim key after DELETE by %s (%s)", caller, response.status())
                .isEqualTo(response.status() == 200 ? 401 : 200);
        return response;
    }

    private void assertActsOnTheRightUser(SoftAssertions soft, Route route, Ctx caller, Api.Response response, String what) {
        if (response.status() / 100 != 2) {
            return;
        }
        String expected = caller.kind().role == Effective.USER ? caller.self() : caller.other();
        if (route.name().startsWith("POST /coupons/redeem")) {
            String code = response.json().path("code").asString();
            var redemptions = api.get(adminKey(), CREDITS + "/coupons/redemptions?user_id=" + expected);
            soft.assertThat(redemptions.json().valueStream().map(r -> r.path("code").asString()).toList())
                    .as(what + " redeems for").contains(code);
        } else if (route.name().startsWith("GET /coupons/redemptions")) {
            soft.assertThat(response.json().valueStream().map(r -> r.path("user_id").asString()).distinct().toList())
                    .as(what + " rows belong to").isSubsetOf(expected);
        } else if (route.name().contains("/coupons")) {
            return;
        } else if (route.name().startsWith("GET /balance") || route.name().startsWith("POST /")
                && !route.name().contains("admin")) {
            soft.assertThat(response.json().path("user_id").asString()).as(what + " acts on").isEqualTo(expected);
        } else if (route.name().startsWith("GET /transactions")) {
            soft.assertThat(response.json().isArray()).as(what).isTrue();
            soft.assertThat(response.json().valueStream().map(r -> r.path("user_id").asString()).distinct().toList())
                    .as(what + " rows belong to").containsOnly(expected);
            if (caller.kind().role == Effective.USER) {
                soft.assertThat(response.header("X-Total-Count")).as(what + " (the caller's own, unprovisioned or trial)")
                        .isIn("0", "1");
            }
        } else if (route.name().equals("GET /actuator/prometheus")) {
            soft.assertThat(response.body()).as(what).contains("# TYPE");
        } else if (route.name().equals("POST /admin/api-keys")) {
            soft.assertThat(response.json().path("key").asString()).as(what).startsWith("cm_");
        }
    }

    private static void assertUnauthorized(SoftAssertions soft, Api.Response response, String what) {
        soft.assertThat(response.status()).as(what + ": " + response.body()).isEqualTo(401);
        if (response.status() != 401) {
            return;
        }
        soft.assertThat(response.header("Content-Type")).as(what + " content type").startsWith("application/problem+json");
        soft.assertThat(response.header("WWW-Authenticate")).as(what + " WWW-Authenticate").startsWith("Bearer");
        soft.assertThat(response.json().path("status").asInt()).as(what + " body status").isEqualTo(401);
    }

    private static void assertForbidden(SoftAssertions soft, Api.Response response, String what) {
        soft.assertThat(response.status()).as(what + ": " + response.body()).isEqualTo(403);
        if (response.status() != 403) {
            return;
        }
        soft.assertThat(response.header("Content-Type")).as(what + " content type").startsWith("application/problem+json");
        soft.assertThat(response.json().path("status").asInt()).as(what + " body status").isEqualTo(403);
        soft.assertThat(response.detail()).as(what + " detail").isEqualTo(FORBIDDEN);
    }

    /** The user's balance and full ledger as an admin sees them. */
    private String snapshot(String userId) {
        var ledger = api.get(adminKey(), CREDITS + "/transactions?limit=500&user_id=" + userId);
        assertThat(ledger.status()).isEqualTo(200);
        return balanceOf(userId).toString() + "\n" + ledger.body();
    }
}
