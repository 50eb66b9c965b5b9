package dev.creditmeter.pricing;

import dev.creditmeter.Api;
import dev.creditmeter.ApiTest;
import dev.creditmeter.FakeOpenRouter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class PricingRoutesTest extends ApiTest {

    private static final String MODELS = "/api/v1/credits/pricing/models";
    private static final String SYNC = "/api/v1/credits/pricing/sync";
    private static final String TRACK = "/api/v1/credits/usage/track";

    @AfterEach
    void restoreTheUpstream() {
        FakeOpenRouter.answerModels(200, FakeOpenRouter.REALISTIC_MODELS);
    }

    private static String uniqueModel(String name) {
        return "test-" + UUID.randomUUID().toString().substring(0, 8) + "/" + name;
    }

    private JsonNode entryOf(String model) {
        var list = api.get(adminKey(), MODELS);
        assertThat(list.status()).as(list.body()).isEqualTo(200);
        return list.json().valueStream().filter(e -> e.path("model").asString().equals(model)).findFirst().orElse(null);
    }

    private Api.Response putPrice(String token, String model, String body) {
        return api.put(token, MODELS + "/" + model, body);
    }

    private Api.Response sync() {
        return api.post(adminKey(), SYNC, "");
    }

    private static String models(String... entries) {
        return "{\"data\":[" + String.join(",", entries) + "]}";
    }

    private static String model(String id, String prompt, String completion) {
        return "{\"id\":\"" + id + "\",\"name\":\"" + id + "\",\"context_length\":8192,"
                + "\"pricing\":{\"prompt\":" + prompt + ",\"completion\":" + completion + ",\"request\":\"0\",\"image\":\"0\"}}";
    }

    @Test
    void everyRoleReadsTheCatalogueWithPricesPerMillionTokens() {
        for (String role : new String[] {"user", "service", "admin"}) {
            var list = api.get(keyFor(newUserId(), role), MODELS);
            assertThat(list.status()).as(role + ": " + list.body()).isEqualTo(200);
            JsonNode mini = list.json().valueStream()
                    .filter(e -> e.path("model").asString().equals("openai/gpt-4o-mini")).findFirst().orElseThrow();
            assertThat(mini.path("input_price_per_million").isNumber()).as(mini.toString()).isTrue();
            assertThat(mini.path("input_price_per_million").decimalValue()).isEqualByComparingTo("0.15");
            assertThat(mini.path("output_price_per_million").decimalValue()).isEqualByComparingTo("0.6");
            assertThat(mini.path("is_free").asBoolean()).isFalse();
            assertThat(mini.path("source").asString()).isIn("builtin", "openrouter");
            assertThat(mini.path("effective_from").asString()).endsWith("Z");
            JsonNode free = list.json().valueStream()
                    .filter(e -> e.path("model").asString().equals("meta-llama/llama-3.1-8b-instruct:free")).findFirst().orElseThrow();
            assertThat(free.path("is_free").asBoolean()).isTrue();
            assertThat(free.path("input_price_per_million").decimalValue()).isEqualByComparingTo("0");
        }
        assertThat(api.get(null, MODELS).status()).isEqualTo(401);
    }

    @Test
    void anAdminPriceIsWhatUsageIsChargedAt() {
        String model = uniqueModel("model-v2:beta"); // '/' and ':' as they are in the path
        var put = putPrice(adminKey(), model, "{\"input_price_per_million\":2,\"output_price_per_million\":\"8\"}");

        assertThat(put.status()).as(put.body()).isEqualTo(200);
        assertThat(put.json().path("model").asString()).isEqualTo(model);
        assertThat(put.json().path("input_price_per_million").decimalValue()).isEqualByComparingTo("2");
        assertThat(put.json().path("output_price_per_million").decimalValue()).isEqualByComparingTo("8");
        assertThat(put.json().path("is_free").asBoolean()).isFalse();
        assertThat(put.json().path("source").asString()).isEqualTo("admin");
        assertThat(put.json().path("effective_from").asString()).endsWith("Z");
        assertThat(entryOf(model).path("source").asString()).isEqualTo("admin");

        String user = newUserId();
        var event = api.post(adminKey(), TRACK, "{\"user_id\":\"" + user + "\",\"service\":\"litellm\",\"model\":\""
                + model + "\",\"input_tokens\":1000,\"output_tokens\":500}");
        assertThat(event.status()).as(event.body()).isEqualTo(200);
        assertThat(event.json().path("pricing").asString()).isEqualTo("catalogue");
        // 1000 × 2 / 1M + 500 × 8 / 1M = 0.002 + 0.004
        assertThat(event.json().path("provider_cost").decimalValue()).isEqualByComparingTo("0.006");
        assertThat(event.json().path("total_cost").decimalValue()).isEqualByComparingTo("0.0066");

        var changed = putPrice(adminKey(), model, "{\"input_price_per_million\":1,\"output_price_per_million\":1}");
        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
        var again = api.post(adminKey(), TRACK, "{\"user_id\":\"" + user + "\",\"service\":\"litellm\",\"model\":\""
                + model + "\",\"input_tokens\":1000,\"output_tokens\":500}");
        assertThat(again.json().path("provider_cost").decimalValue()).isEqualByComparingTo("0.0015");

        var audit = api.get(adminKey(), "/api/v1/credits/admin/audit?action=pricing.update&limit=50");
        JsonNode entry = audit.json().valueStream()
                .filter(e -> e.path("target").asString().equals("model:" + model)).findFirst().orElseThrow();
        assertThat(entry.path("outcome").asString()).isEqualTo("success");
        assertThat(entry.path("actor").asString()).startsWith("admin:");
        assertThat(entry.path("details").path("input_price_per_million").asString()).isEqualTo("1");
        assertThat(entry.path("details").path("previous").path("input_price_per_million").asString()).isEqualTo("2");
        assertLedgerConsistent();
    }

    @Test
    void theRoutesAreDescribedInTheOpenApiDocument() {
        var paths = api.get(null, "/openapi.json").json().path("paths");
        assertThat(paths.has(MODELS)).isTrue();
        assertThat(paths.path(MODELS + "/{model}").has("put")).isTrue();
        assertThat(paths.has(SYNC)).isTrue();
    }

    @Test
    void aModelIdMayAlsoArriveUrlEncoded() {
        String model = uniqueModel("llama-3:free");
        var put = putPrice(adminKey(), model.replace(":", "%3A"), "{\"input_price_per_million\":0,\"output_price_per_million\":0}");

        assertThat(put.status()).as(put.body()).isEqualTo(200);
        assertThat(put.json().path("model").asString()).isEqualTo(model);
        assertThat(put.json().path("is_free").asBoolean()).as("both prices zero").isTrue();
        assertThat(entryOf(model)).isNotNull();
    }

    @Test
    void isFreeMayBeSetExplicitly() {
        String model = uniqueModel("promo");
        var put = putPrice(adminKey(), model, "{\"input_price_per_million\":3,\"output_price_per_million\":6,\"is_free\":true}");
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        assertThat(put.json().path("is_free").asBoolean()).isTrue();

        var event = api.post(adminKey(), TRACK, "{\"user_id\":\"" + newUserId() + "\",\"service\":\"litellm\",\"model\":\""
                + model + "\",\"input_tokens\":1000}");
        assertThat(event.json().path("is_free_tier").asBoolean()).isTrue();
        assertThat(event.json().path("total_cost").decimalValue()).isEqualByComparingTo("0");
    }

    @Test
    void usersAndServicesMayNotChangePrices() {
        String model = uniqueModel("guarded");
        for (String role : new String[] {"user", "service"}) {
            String key = keyFor(newUserId(), role);
            var put = putPrice(key, model, "{\"input_price_per_million\":1,\"output_price_per_million\":1}");
            assertThat(put.status()).as(role).isEqualTo(403);
            assertThat(put.detail()).isEqualTo("Admin access required");
            var sync = api.post(key, SYNC, "");
            assertThat(sync.status()).as(role).isEqualTo(403);
            assertThat(sync.detail()).isEqualTo("Admin access required");
            // 403 comes before validation
            assertThat(putPrice(key, model, "{\"input_price_per_million\":-1}").status()).isEqualTo(403);
        }
        var jwtUser = putPrice(JWT.token("jwt-" + UUID.randomUUID(), java.util.List.of("user")), model,
                "{\"input_price_per_million\":1,\"output_price_per_million\":1}");
        assertThat(jwtUser.status()).isEqualTo(403);
        assertThat(putPrice(null, model, "{\"input_price_per_million\":1,\"output_price_per_million\":1}").status()).isEqualTo(401);
        assertThat(entryOf(model)).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "{\"input_price_per_million\":-1,\"output_price_per_million\":1}       | input_price_per_million",
            "{\"input_price_per_million\":1,\"output_price_per_million\":\"-0.5\"} | output_price_per_million",
            "{\"input_price_per_million\":\"abc\",\"output_price_per_million\":1}  | input_price_per_million",
            "{\"input_price_per_million\":true,\"output_price_per_million\":1}     | input_price_per_million",
            "{\"input_price_per_million\":[],\"output_price_per_million\":1}       | input_price_per_million",
            "{\"input_price_per_million\":1,\"output_price_per_million\":1e10}     | output_price_per_million",
            "{\"input_price_per_million\":null,\"output_price_per_million\":1}     | input_price_per_million",
            "{\"output_price_per_million\":1}                                      | input_price_per_million",
            "{\"input_price_per_million\":1,\"output_price_per_million\":1,\"is_free\":\"yes\"} | is_free"})
    void badPricesAreRefusedWith422(String body, String field) {
        String model = uniqueModel("bad");
        var response = putPrice(adminKey(), model, body);

        assertThat(response.status()).as(response.body()).isEqualTo(422);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.json().path("errors").valueStream().map(e -> e.path("field").asString()))
                .as(response.body()).contains(field);
        assertThat(entryOf(model)).isNull();
    }

    @Test
    void aMissingBodyOrAnEmptyModelIdIs422() {
        var noBody = api.put(adminKey(), MODELS + "/" + uniqueModel("x"), "");
        assertThat(noBody.status()).as(noBody.body()).isEqualTo(422);

        var noModel = api.put(adminKey(), MODELS + "/", "{\"input_price_per_million\":1,\"output_price_per_million\":1}");
        assertThat(noModel.status()).as(noModel.body()).isEqualTo(422);
        assertThat(noModel.json().path("errors").get(0).path("field").asString()).isEqualTo("model");
    }

    @Test
    void syncImportsNewModelsUpdatesChangedPricesAndSkipsUnusableOnes() {
        String plain = uniqueModel("chat");
        String tiny = uniqueModel("tiny");
        String freeById = uniqueModel("chat:free");
        String zero = uniqueModel("zero");
        FakeOpenRouter.answerModels(200, models(
                model(plain, "\"0.0000025\"", "\"0.00001\""),
                model(tiny, "\"0.0000000000025\"", "\"0.0000000000015\""), // 2.5 and 1.5 micros per million
                model(freeById, "\"0.000001\"", "\"0.000002\""),
                model(zero, "\"0\"", "\"0\""),
                model(uniqueModel("garbage"), "\"abc\"", "\"0.000001\""),
                model(uniqueModel("negative"), "\"-1\"", "\"-1\""),
                model(uniqueModel("null"), "null", "\"0.000001\""),
                "{\"id\":\"" + uniqueModel("no-pricing") + "\"}",
                "{\"pricing\":{\"prompt\":\"0\",\"completion\":\"0\"}}"));

        var first = sync();
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(first.json().path("imported").asInt()).as(first.body()).isEqualTo(4);
        assertThat(first.json().path("updated").asInt()).as(first.body()).isZero();
        assertThat(first.json().path("skipped").asInt()).as(first.body()).isEqualTo(5);

        JsonNode imported = entryOf(plain);
        assertThat(imported.path("input_price_per_million").decimalValue()).isEqualByComparingTo("2.5");
        assertThat(imported.path("output_price_per_million").decimalValue()).isEqualByComparingTo("10");
        assertThat(imported.path("source").asString()).isEqualTo("openrouter");
        assertThat(imported.path("is_free").asBoolean()).isFalse();
        assertThat(entryOf(tiny).path("input_price_per_million").decimalValue()).isEqualByComparingTo("0.000002");
        assertThat(entryOf(tiny).path("output_price_per_million").decimalValue()).isEqualByComparingTo("0.000002");
        assertThat(entryOf(freeById).path("is_free").asBoolean()).isTrue();
        assertThat(entryOf(zero).path("is_free").asBoolean()).isTrue();

        String effectiveBefore = entryOf(tiny).path("effective_from").asString();
        FakeOpenRouter.answerModels(200, models(
                model(plain, "\"0.000003\"", "\"0.000015\""),
                model(tiny, "\"0.0000000000025\"", "\"0.0000000000015\""),
                model(freeById, "\"0.000001\"", "\"0.000002\""),
                model(zero, "\"0\"", "\"0\"")));
        var second = sync();
        assertThat(second.status()).as(second.body()).isEqualTo(200);
        assertThat(second.json().path("imported").asInt()).as(second.body()).isZero();
        assertThat(second.json().path("updated").asInt()).as(second.body()).isEqualTo(1);
        assertThat(second.json().path("skipped").asInt()).as(second.body()).isZero();
        assertThat(entryOf(plain).path("input_price_per_million").decimalValue()).isEqualByComparingTo("3");
        assertThat(entryOf(tiny).path("effective_from").asString()).as("unchanged price keeps its date").isEqualTo(effectiveBefore);

        var event = api.post(adminKey(), TRACK, "{\"user_id\":\"" + newUserId() + "\",\"service\":\"litellm\",\"model\":\""
                + plain + "\",\"input_tokens\":1000,\"output_tokens\":1000}");
        assertThat(event.json().path("pricing").asString()).isEqualTo("catalogue");
        assertThat(event.json().path("provider_cost").decimalValue()).isEqualByComparingTo("0.018"); // 0.003 + 0.015

        var audit = api.get(adminKey(), "/api/v1/credits/admin/audit?action=pricing.sync&limit=1");
        assertThat(audit.json().get(0).path("outcome").asString()).isEqualTo("success");
        assertThat(audit.json().get(0).path("details").path("updated").asInt()).isEqualTo(1);
        assertThat(FakeOpenRouter.authorizations()).isNotEmpty()
                .allMatch(header -> header.equals("Bearer " + FakeOpenRouter.PLATFORM_KEY));
    }

    @Test
    void syncReadsOpenRoutersOwnShape() {
        var response = sync();

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.json().path("skipped").asInt()).as("router at -1, model without completion price").isEqualTo(2);
        JsonNode gpt4o = entryOf("openai/gpt-4o");
        assertThat(gpt4o.path("input_price_per_million").decimalValue()).isEqualByComparingTo("2.5");
        assertThat(gpt4o.path("output_price_per_million").decimalValue()).isEqualByComparingTo("10");
        assertThat(entryOf("openai/gpt-4o-mini").path("input_price_per_million").decimalValue()).isEqualByComparingTo("0.15");
        assertThat(entryOf("meta-llama/llama-3.1-8b-instruct:free").path("is_free").asBoolean()).isTrue();
        assertThat(entryOf("openrouter/auto")).isNull();
    }

    @Test
    void anAdminOverrideSurvivesASync() {
        String model = uniqueModel("overridden");
        assertThat(putPrice(adminKey(), model, "{\"input_price_per_million\":1.25,\"output_price_per_million\":5}")
                .status()).isEqualTo(200);
        FakeOpenRouter.answerModels(200, models(model(model, "\"0.00002\"", "\"0.00004\"")));

        var sync = sync();
        assertThat(sync.status()).as(sync.body()).isEqualTo(200);
        assertThat(sync.json().path("imported").asInt()).isZero();
        assertThat(sync.json().path("updated").asInt()).isZero();
        assertThat(sync.json().path("unchanged").asInt()).isEqualTo(1);

        JsonNode entry = entryOf(model);
        assertThat(entry.path("source").asString()).isEqualTo("admin");
        assertThat(entry.path("input_price_per_million").decimalValue()).isEqualByComparingTo("1.25");
        assertThat(entry.path("output_price_per_million").decimalValue()).isEqualByComparingTo("5");
    }

    @Test
    void anUpstreamFailureIs502AndChangesNothing() {
        String model = uniqueModel("never");
        FakeOpenRouter.answerModels(500, "{\"error\":{\"code\":500,\"message\":\"Internal Server Error\"}}");
        var failed = sync();
        assertThat(failed.status()).as(failed.body()).isEqualTo(502);
        assertThat(failed.header("Content-Type")).startsWith("application/problem+json");
        assertThat(failed.detail()).isEqualTo("Failed to sync prices: OpenRouter answered HTTP 500");

        FakeOpenRouter.answerModels(200, "<html>maintenance</html>");
        var unreadable = sync();
        assertThat(unreadable.status()).isEqualTo(502);
        assertThat(unreadable.detail()).startsWith("Failed to sync prices: ");

        FakeOpenRouter.answerModels(200, "{\"error\":\"no data\"," + "\"x\":" + model(model, "\"0\"", "\"0\"") + "}");
        var noList = sync();
        assertThat(noList.status()).isEqualTo(502);
        assertThat(entryOf(model)).isNull();

        var audit = api.get(adminKey(), "/api/v1/credits/admin/audit?action=pricing.sync&limit=1");
        assertThat(audit.json().get(0).path("outcome").asString()).isEqualTo("failure");
    }

    @Test
    void thePlatformKeyNeverReachesTheLogOrAnAnswer() throws IOException {
        FakeOpenRouter.answerModels(200, models(model(uniqueModel("logged"), "\"0.000001\"", "\"0.000001\"")));
        var ok = sync();
        FakeOpenRouter.answerModels(401, "{\"error\":{\"code\":401,\"message\":\"Invalid key " + FakeOpenRouter.PLATFORM_KEY + "\"}}");
        var failed = sync();

        assertThat(ok.status()).isEqualTo(200);
        assertThat(failed.status()).isEqualTo(502);
        assertThat(failed.detail()).isEqualTo("Failed to sync prices: OpenRouter answered HTTP 401");
        String key = FakeOpenRouter.PLATFORM_KEY;
        assertThat(ok.body() + failed.body()).doesNotContain(key);
        assertThat(api.get(adminKey(), "/api/v1/credits/admin/audit?limit=500").body()).doesNotContain(key);
        assertThat(FakeOpenRouter.authorizations()).contains("Bearer " + key);
        assertThat(Files.readString(LOG_FILE)).contains("Pricing sync").doesNotContain(key).doesNotContain(key.substring(10));
    }
}
