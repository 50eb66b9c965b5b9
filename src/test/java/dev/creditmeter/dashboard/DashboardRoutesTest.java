package dev.creditmeter.dashboard;

import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.assertj.core.api.Assertions.assertThat;

/** What the dashboard needs besides the pages: its public pages and settings, and the routes it reads. */
class DashboardRoutesTest extends ApiTest {

    private static final String CREDITS = "/api/v1/credits";

    @Test
    void thePagesArePublicAndAllowOnlyTheOwnOrigin() {
        var page = api.get(null, "/");
        var script = api.get(null, "/dashboard/app.js");
        var chart = api.get(null, "/webjars/uplot/1.6.30/dist/uPlot.esm.js");

        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("Content-Type")).startsWith("text/html");
        assertThat(page.body()).contains("<meta name=\"viewport\"", "<label for=\"api-key\">API key</label>", ">Sign in</button>");
        assertThat(page.header("Content-Security-Policy")).isEqualTo(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
                        + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
        assertThat(script.status()).isEqualTo(200);
        assertThat(script.header("Content-Security-Policy")).isNotNull();
        assertThat(chart.status()).isEqualTo(200);
        assertThat(api.get(null, "/api/v1/credits/balance").status()).isEqualTo(401);
    }

    @Test
    void meTellsTheCallerItsUserAndRole() {
        String user = newUserId();

        var me = api.get(keyFor(user, "user"), CREDITS + "/me").json();
        var admin = api.get(adminKey(), CREDITS + "/me").json();

        assertThat(me.path("user_id").asString()).isEqualTo(user);
        assertThat(me.path("role").asString()).isEqualTo("user");
        assertThat(admin.path("role").asString()).isEqualTo("admin");
        assertThat(api.get(null, CREDITS + "/me").status()).isEqualTo(401);
    }

    @Test
    void listsTheOpenHoldsOfTheCallerOrForAdminsOfAnyUser() {
        String user = newUserId();
        String userKey = keyFor(user, "user");
        long kept = api.post(adminKey(), CREDITS + "/holds", "{\"user_id\":\"" + user + "\",\"amount\":1}").json().path("hold_id").asLong();
        long released = api.post(adminKey(), CREDITS + "/holds", "{\"user_id\":\"" + user + "\",\"amount\":2}").json().path("hold_id").asLong();
        assertThat(api.post(adminKey(), CREDITS + "/holds/" + released + "/release", "{}").status()).isEqualTo(200);

        var byAdmin = api.get(adminKey(), CREDITS + "/holds?user_id=" + user).json();
        var byUser = api.get(userKey, CREDITS + "/holds").json();
        var byOtherUser = api.get(keyFor(newUserId(), "user"), CREDITS + "/holds?user_id=" + user).json();

        assertThat(byAdmin).hasSize(1);
        assertThat(byAdmin.get(0).path("hold_id").asLong()).isEqualTo(kept);
        assertThat(byAdmin.get(0).path("status").asString()).isEqualTo("held");
        assertThat(byUser).hasSize(1);
        assertThat(byOtherUser).isEmpty(); // a user's user_id is ignored: its own holds, none
        assertThat(api.get(adminKey(), CREDITS + "/holds?limit=0").status()).isEqualTo(422);
    }

    @Test
    void platformTotalsCountEventsChargesAndMarkup() {
        String user = newUserId();
        var before = api.get(adminKey(), CREDITS + "/admin/usage/totals?days=1").json();
        String service = keyFor("svc-" + user, "service");
        for (int i = 0; i < 2; i++) {
            assertThat(api.post(service, CREDITS + "/usage/track", "{\"user_id\":\"" + user
                    + "\",\"service\":\"chat\",\"model\":\"totals/model-" + user + "\",\"cost\":50}").status()).isEqualTo(200);
        }

        var after = api.get(adminKey(), CREDITS + "/admin/usage/totals?days=1").json();

        assertThat(after.path("events").asLong() - before.path("events").asLong()).isEqualTo(2);
        assertThat(after.path("charged").decimalValue().subtract(before.path("charged").decimalValue()))
                .isEqualByComparingTo("115"); // 2 × (50 + 15 % markup)
        assertThat(after.path("markup_earned").decimalValue().subtract(before.path("markup_earned").decimalValue()))
                .isEqualByComparingTo("15");
        var top = after.path("top_models").get(0);
        assertThat(top.path("name").asString()).isEqualTo("totals/model-" + user);
        assertThat(top.path("charged").decimalValue()).isEqualByComparingTo(new BigDecimal("115"));
        assertThat(api.get(adminKey(), CREDITS + "/admin/usage/totals?days=0").status()).isEqualTo(422);
        assertThat(api.get(keyFor(user, "user"), CREDITS + "/admin/usage/totals").status()).isEqualTo(403);
    }

    @Test
    void theSignInSettingsNameTheProviderAndTheCodeExchangeRefusesWhatTheProviderRefuses() {
        var config = api.get(null, CREDITS + "/dashboard/config").json().path("oidc");
        assertThat(config.path("client_id").asString()).isEqualTo("creditmeter-dashboard");
        assertThat(config.path("authorization_uri").asString()).isEqualTo(JWT.authorizationUri());
        assertThat(config.path("scope").asString()).isEqualTo("openid");

        var refused = api.post(null, CREDITS + "/dashboard/oidc/token",
                "{\"code\":\"no-such-code\",\"code_verifier\":\"v\",\"redirect_uri\":\"http://127.0.0.1/\"}");
        var incomplete = api.post(null, CREDITS + "/dashboard/oidc/token", "{\"code\":\"c\"}");

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.detail()).isEqualTo("Sign-in failed: Code not valid");
        assertThat(incomplete.status()).isEqualTo(422);
        assertThat(incomplete.json().path("errors").toString()).contains("code_verifier", "redirect_uri");
    }
}
