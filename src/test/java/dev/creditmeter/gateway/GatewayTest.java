package dev.creditmeter.gateway;

import dev.creditmeter.Api;
import dev.creditmeter.ApiTest;
import dev.creditmeter.FakeOpenRouter;
import dev.creditmeter.FakeOpenRouter.ChatAnswer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The OpenAI-compatible gateway (contract §4 and §5 "Gateway"), against a fake OpenRouter. */
class GatewayTest extends ApiTest {

    private static final String CHAT = "/v1/chat/completions";

    @Autowired
    JdbcClient jdbc;

    @AfterEach
    void ledgerStaysConsistent() {
        assertLedgerConsistent();
    }

    /** A model name no other test uses, so that its scripted answer and its requests are this test's own. */
    private static String newModel() {
        return "test/model-" + UUID.randomUUID();
    }

    private static String chatBody(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    }

    private Api.Response chat(String token, String model) {
        return api.post(token, CHAT, chatBody(model));
    }

    private void assertFigures(String userId, String balance, String held) {
        JsonNode account = balanceOf(userId);
        assertThat(account.path("balance").decimalValue()).as("balance").isEqualByComparingTo(balance);
        assertThat(account.path("held").decimalValue()).as("held").isEqualByComparingTo(held);
    }

    @Test
    void aPlatformCallChargesUpstreamCostPlusMarkupAndSaysSoInHeaders() {
        String user = newUserId();
        String token = keyFor(user, "user");
        String model = newModel();
        String upstream = FakeOpenRouter.completion(model, 12, 7, "0.002");
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, upstream, 0));

        var response = chat(token, model);

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.json().path("id").asString()).isEqualTo(FakeOpenRouter.json(upstream).path("id").asString());
        assertThat(response.json().path("choices")).isEqualTo(FakeOpenRouter.json(upstream).path("choices"));
        assertThat(response.json().path("usage").path("cost").decimalValue())
                .as("the caller's charge, not the platform's upstream cost of 0.002").isEqualByComparingTo("0.0022");
        assertThat(response.header("X-Credits-Charged")).isEqualTo("0.0022");
        assertThat(response.header("X-Credits-Remaining")).isEqualTo("4.9978");
        assertFigures(user, "4.9978", "0");
        var forwarded = FakeOpenRouter.chatRequests(model);
        assertThat(forwarded).hasSize(1);
        assertThat(forwarded.getFirst().key()).isEqualTo(FakeOpenRouter.PLATFORM_KEY);
        assertThat(forwarded.getFirst().body()).contains("\"usage\":{\"include\":true}");
        var event = jdbc.sql("select service, model, input_tokens, output_tokens, total_cost_micros, is_byok"
                + " from usage_events where user_id = ?").param(user).query().listOfRows();
        assertThat(event).hasSize(1);
        assertThat(event.getFirst()).containsEntry("service", "gateway").containsEntry("model", model)
                .containsEntry("input_tokens", 12L).containsEntry("output_tokens", 7L)
                .containsEntry("total_cost_micros", 2200L).containsEntry("is_byok", false);
    }

    @Test
    void aByokCallUsesTheUsersOwnKeyAndChargesNothing() {
        String user = newUserId();
        String token = keyFor(user, "user");
        String ownKey = "sk-or-v1-" + UUID.randomUUID().toString().replace("-", "");
        FakeOpenRouter.registerKey(ownKey, "own", "10");
        var connected = api.post(token, "/api/v1/credits/openrouter/create-account", "{\"api_key\":\"" + ownKey + "\"}");
        assertThat(connected.status()).as(connected.body()).isEqualTo(200);
        String model = newModel();
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, FakeOpenRouter.completion(model, 30, 20, "0.5"), 0));

        var response = chat(token, model);

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.header("X-Credits-Charged")).isEqualTo("0");
        assertThat(FakeOpenRouter.chatRequests(model)).singleElement()
                .satisfies(r -> assertThat(r.key()).isEqualTo(ownKey));
        assertFigures(user, "5", "0");
        assertThat(jdbc.sql("select is_byok from usage_events where user_id = ?").param(user).query(Boolean.class).list())
                .containsExactly(true);
    }

    /**
     * A gateway hold commits without waiting for the disk, so a database crash can lose it while its call is
     * upstream (here: deleted, with the held amount it added). The call is served: it is charged without it.
     */
    @Test
    void aCallWhoseHoldVanishedIsStillCharged() throws Exception {
        String user = newUserId();
        String token = keyFor(user, "user");
        String model = newModel();
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, FakeOpenRouter.completion(model, 12, 7, "0.002"), 1_000));

        var pending = java.util.concurrent.CompletableFuture.supplyAsync(() -> chat(token, model));
        long deleted = 0;
        for (int i = 0; i < 100 && deleted == 0; i++) {
            Thread.sleep(20);
            deleted = jdbc.sql("""
                            with lost as (delete from credit_holds where user_id = ? and status = 'held' returning amount_micros)
                            update credit_accounts set held_micros = held_micros - (select sum(amount_micros) from lost)
                            where user_id = ? and exists (select 1 from lost)
                            """).param(user).param(user).update();
        }
        var response = pending.get();

        assertThat(deleted).as("the hold was placed while upstream answered").isOne();
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.header("X-Credits-Charged")).isEqualTo("0.0022");
        assertFigures(user, "4.9978", "0");
    }

    @Test
    void anUpstreamFailureReleasesTheHoldAndChargesNothing() {
        String user = newUserId();
        String token = keyFor(user, "user");
        String model = newModel();
        FakeOpenRouter.answerChat(model, new ChatAnswer(500, "{\"error\":{\"code\":500,\"message\":\"boom\"}}", 0));

        var response = chat(token, model);

        assertThat(response.status()).isEqualTo(502);
        assertThat(response.json().path("error").path("code").asString()).isEqualTo("upstream_error");
        assertThat(response.header("x-should-retry")).as("the SDKs must not repeat it").isEqualTo("false");
        assertThat(FakeOpenRouter.chatRequests(model)).as("a POST that reached upstream is not retried").hasSize(1);
        assertFigures(user, "5", "0");
        assertThat(jdbc.sql("select status from credit_holds where user_id = ?").param(user).query(String.class).list())
                .containsExactly("released");
    }

    @Test
    void anUpstreamClientErrorPassesThroughUncharged() {
        String user = newUserId();
        String token = keyFor(user, "user");
        String model = newModel();
        String refusal = "{\"error\":{\"code\":400,\"message\":\"bad model\"}}";
        FakeOpenRouter.answerChat(model, new ChatAnswer(400, refusal, 0));

        var response = chat(token, model);

        assertThat(response.status()).isEqualTo(400);
        JsonNode error = response.json().path("error");
        assertThat(error.path("message").asString()).isEqualTo("bad model");
        assertThat(error.path("type").asString()).isEqualTo("invalid_request_error");
        assertThat(error.path("code").isString()).as("OpenAI's codes are strings").isTrue();
        assertFigures(user, "5", "0");
    }

    /** OpenRouter refusing the platform key is the gateway's problem, not the caller's key: 502, never the key itself. */
    @Test
    void anUpstreamRefusalOfTheGatewaysKeyIs502AndNeverShowsTheKey() {
        String user = newUserId();
        String token = keyFor(user, "user");
        String refusedModel = newModel();
        String echoingModel = newModel();
        FakeOpenRouter.answerChat(refusedModel, new ChatAnswer(401,
                "{\"error\":{\"code\":401,\"message\":\"User not found for " + FakeOpenRouter.PLATFORM_KEY + "\"}}", 0));
        FakeOpenRouter.answerChat(echoingModel, new ChatAnswer(400,
                "{\"error\":{\"code\":400,\"message\":\"bad request from " + FakeOpenRouter.PLATFORM_KEY + "\"}}", 0));

        var refused = chat(token, refusedModel);
        var echoed = chat(token, echoingModel);

        assertThat(refused.status()).isEqualTo(502);
        assertThat(refused.json().path("error").path("message").asString())
                .isEqualTo("OpenRouter refused the gateway's key: User not found for [key]");
        assertThat(echoed.status()).isEqualTo(400);
        assertThat(echoed.json().path("error").path("message").asString()).isEqualTo("bad request from [key]");
        assertThat(refused.body() + echoed.body()).doesNotContain(FakeOpenRouter.PLATFORM_KEY);
        assertFigures(user, "5", "0");
    }

    /** A priced model holds its catalogue estimate: max_tokens output and about chars/4 input, plus 15 %. */
    @Test
    void aPricedModelHoldsItsCatalogueEstimate() {
        String user = newUserId();
        String token = keyFor(user, "user");
        String model = newModel();
        var priced = api.put(adminKey(), "/api/v1/credits/pricing/models/" + model,
                "{\"input_price_per_million\":2.5,\"output_price_per_million\":10}");
        assertThat(priced.status()).as(priced.body()).isEqualTo(200);
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, FakeOpenRouter.completion(model, 3, 5, "0.0001"), 0));
        var hold = api.post(adminKey(), "/api/v1/credits/holds", "{\"user_id\":\"" + user + "\",\"amount\":4.99}");

        var tooBig = api.post(token, CHAT, "{\"model\":\"" + model + "\",\"max_tokens\":1000,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}");
        var fits = api.post(token, CHAT, "{\"model\":\"" + model + "\",\"max_tokens\":100,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}");

        // 1,000 output tokens at 10 per million = 0.01, plus a few input tokens, plus 15 %: more than the 0.01 left.
        assertThat(tooBig.status()).as(tooBig.body()).isEqualTo(402);
        String required = tooBig.json().path("error").path("message").asString()
                .replaceAll(".*Required: ([0-9.]+),.*", "$1");
        assertThat(new java.math.BigDecimal(required)).isBetween(new java.math.BigDecimal("0.0115"), new java.math.BigDecimal("0.0116"));
        assertThat(fits.status()).as(fits.body()).isEqualTo(200);
        assertThat(FakeOpenRouter.chatRequests(model)).hasSize(1);
        api.post(adminKey(), "/api/v1/credits/holds/" + hold.json().path("hold_id").asLong() + "/release", "");
    }

    @Test
    void insufficientCreditsAre402InOpenAisShapeAndNothingIsForwarded() {
        String user = newUserId();
        String token = keyFor(user, "user");
        var hold = api.post(adminKey(), "/api/v1/credits/holds", "{\"user_id\":\"" + user + "\",\"amount\":4.99}");
        assertThat(hold.status()).as(hold.body()).isEqualTo(201);
        String model = newModel();

        var response = chat(token, model);

        assertThat(response.status()).isEqualTo(402);
        JsonNode error = response.json().path("error");
        assertThat(error.path("message").asString()).isEqualTo("Insufficient credits. Required: 0.05, Available: 0.01");
        assertThat(error.path("type").asString()).isEqualTo("insufficient_credits");
        assertThat(error.path("code").asString()).isEqualTo("insufficient_credits");
        assertThat(FakeOpenRouter.chatRequests(model)).isEmpty();
        api.post(adminKey(), "/api/v1/credits/holds/" + hold.json().path("hold_id").asLong() + "/release", "");
    }

    /** The quota is checked in the admission's transaction before the hold: 429 wins over 402, and no hold is left. */
    @Test
    void aCallOverTheQuotaIs429EvenWithoutCreditsAndLeavesNoHold() {
        String user = newUserId();
        String token = keyFor(user, "user");
        // Once the 100 calls below are charged, about 0.0095 is left available: less than an unpriced model holds.
        var hold = api.post(adminKey(), "/api/v1/credits/holds", "{\"user_id\":\"" + user + "\",\"amount\":4.98}");
        assertThat(hold.status()).as(hold.body()).isEqualTo(201);
        useUpCallQuota(user);
        String model = newModel();

        var response = chat(token, model);
        api.post(adminKey(), "/api/v1/credits/holds/" + hold.json().path("hold_id").asLong() + "/release", "");
        var withCredits = chat(token, model);

        assertThat(response.status()).as(response.body()).isEqualTo(429);
        assertThat(response.json().path("error").path("type").asString()).isEqualTo("rate_limit_exceeded");
        assertThat(response.header("X-RateLimit-Remaining")).isEqualTo("0");
        assertThat(response.header("Retry-After")).isNotNull();
        assertThat(response.header("x-should-retry")).as("hours away: the SDKs must not sleep through it").isEqualTo("false");
        assertThat(withCredits.status()).as(withCredits.body()).isEqualTo(429);
        assertThat(FakeOpenRouter.chatRequests(model)).isEmpty();
        assertThat(jdbc.sql("select count(*) from credit_holds where user_id = ?").param(user).query(Long.class).single())
                .as("only the test's own hold").isOne();
        assertThat(balanceOf(user).path("held").decimalValue()).isEqualByComparingTo("0");
    }

    @Test
    void twentyParallelCallsOnABalanceForFiveEstimatesAdmitAtMostFive() throws Exception {
        String user = newUserId();
        String token = keyFor(user, "user");
        var hold = api.post(adminKey(), "/api/v1/credits/holds", "{\"user_id\":\"" + user + "\",\"amount\":4.75}");
        assertThat(hold.status()).as(hold.body()).isEqualTo(201);
        String model = newModel();
        // Slow upstream: every call places its hold before any is captured and gives its rest back.
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, FakeOpenRouter.completion(model, 10, 5, "0.002"), 1_500));

        List<Api.Response> responses = inParallel(20, i -> chat(token, model));

        var admitted = responses.stream().filter(r -> r.status() == 200).count();
        assertThat(admitted).isBetween(1L, 5L);
        assertThat(responses).filteredOn(r -> r.status() != 200)
                .allSatisfy(r -> assertThat(r.status()).as(r.body()).isEqualTo(402));
        assertThat(FakeOpenRouter.chatRequests(model)).hasSize((int) admitted);
        api.post(adminKey(), "/api/v1/credits/holds/" + hold.json().path("hold_id").asLong() + "/release", "");
        JsonNode account = balanceOf(user);
        assertThat(account.path("balance").decimalValue()).isGreaterThanOrEqualTo(java.math.BigDecimal.ZERO)
                .isEqualByComparingTo(java.math.BigDecimal.valueOf(5).subtract(
                        java.math.BigDecimal.valueOf(admitted).multiply(new java.math.BigDecimal("0.0022"))));
        assertThat(account.path("held").decimalValue()).isEqualByComparingTo("0");
    }

    @Test
    void modelsAreOpenRoutersListReadWithThePlatformKey() {
        String token = keyFor(newUserId(), "user");

        var response = api.get(token, "/v1/models");

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.json().path("data").isArray()).isTrue();
    }

    @Test
    void aBodyThatIsNotAChatRequestIs400InOpenAisShape() {
        String token = keyFor(newUserId(), "user");

        var response = api.post(token, CHAT, "{\"messages\":[]}");

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("error").path("type").asString()).isEqualTo("invalid_request_error");
    }

    /** Every refusal on /v1, whichever layer writes it, in OpenAI's shape with a string code: the SDKs read nothing else. */
    @Test
    void everyErrorOnTheGatewayIsInOpenAisShape() {
        String token = keyFor(newUserId(), "user");
        record Case(Api.Response response, int status, String type, String code) {
        }
        var cases = List.of(
                new Case(api.post(null, CHAT, chatBody(newModel())), 401, "authentication_error", "invalid_api_key"),
                new Case(api.post("cm_forged", CHAT, chatBody(newModel())), 401, "authentication_error", "invalid_api_key"),
                new Case(api.get(token, "/v1/no-such-route"), 404, "invalid_request_error", "not_found"),
                new Case(api.get(token, CHAT), 405, "invalid_request_error", "method_not_allowed"),
                new Case(api.post(token, CHAT, "{\"model\":\"m\",\"messages\":[],\"pad\":\"" + "x".repeat(2_100_000) + "\"}"),
                        413, "invalid_request_error", "request_too_large"),
                new Case(api.post(token, CHAT, "{\"messages\":[]}"), 400, "invalid_request_error", "invalid_request"));
        for (Case c : cases) {
            assertThat(c.response().status()).as(c.response().body()).isEqualTo(c.status());
            assertThat(c.response().header("Content-Type")).as(c.response().body()).startsWith("application/json");
            JsonNode error = c.response().json().path("error");
            assertThat(error.path("message").asString()).as(c.response().body()).isNotBlank();
            assertThat(error.path("type").asString()).as(c.response().body()).isEqualTo(c.type());
            assertThat(error.path("code").asString()).as(c.response().body()).isEqualTo(c.code());
            assertThat(error.has("param")).as(c.response().body()).isTrue();
        }
        assertThat(cases.getFirst().response().header("WWW-Authenticate")).isEqualTo("Bearer");
        assertThat(cases.getLast().response().json().path("error").path("param").asString()).isEqualTo("model");
    }

    @Test
    void browserAppsOfAnAllowedOriginMayCallTheGatewayAndOthersMayNot() throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        java.util.function.Function<String, java.net.http.HttpResponse<String>> preflight = origin -> {
            try {
                return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + CHAT))
                        .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody())
                        .header("Origin", origin).header("Access-Control-Request-Method", "POST")
                        .header("Access-Control-Request-Headers", "authorization,content-type,x-stainless-os").build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };

        var allowed = preflight.apply(GATEWAY_ORIGIN);
        var refused = preflight.apply("https://evil.example.test");
        String model = newModel();
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, FakeOpenRouter.completion(model, 1, 1, "0.001"), 0));
        var call = api.post(keyFor(newUserId(), "user"), CHAT, chatBody(model), java.util.Map.of("Origin", GATEWAY_ORIGIN));

        assertThat(allowed.statusCode()).as("a preflight needs no token").isEqualTo(200);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).contains(GATEWAY_ORIGIN);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Headers").orElse("")).containsIgnoringCase("authorization");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        assertThat(call.status()).as(call.body()).isEqualTo(200);
        assertThat(call.header("Access-Control-Allow-Origin")).isEqualTo(GATEWAY_ORIGIN);
        assertThat(call.header("Access-Control-Expose-Headers")).contains("X-Credits-Charged");
    }

    @Test
    void aStreamWithoutIncludeUsageGetsNoUsageChunkButIsChargedByIt() {
        String user = newUserId();
        String model = newModel();
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, FakeOpenRouter.events(model, List.of("Hi"), "0.002", true), 0));

        var response = api.post(keyFor(user, "user"), CHAT, "{\"model\":\"" + model + "\",\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":false},\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).doesNotContain("usage").endsWith("data: [DONE]\n\n");
        assertThat(FakeOpenRouter.chatRequests(model).getFirst().body()).contains("\"include_usage\":true");
        assertFigures(user, "4.9978", "0");
    }

    /**
     * A client that goes away while upstream is silent (here 8 s before its next event) is noticed within about a
     * second by the relay's heartbeat: upstream is closed and the call settled by what was relayed.
     */
    @Test
    void aClientThatLeavesWhileUpstreamIsSilentIsNoticedWithinAboutASecond() throws Exception {
        String user = newUserId();
        String token = keyFor(user, "user");
        String model = newModel();
        String chunk = "data: {\"id\":\"gen-p\",\"model\":\"" + model + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]}\n\n";
        FakeOpenRouter.answerChatPaced(model, List.of(chunk.formatted("Thinking"), chunk.formatted(" done"), "data: [DONE]\n\n"), 8_000);
        byte[] body = streamBody(model).getBytes(java.nio.charset.StandardCharsets.UTF_8);

        long leftAt;
        try (var socket = new java.net.Socket("127.0.0.1", port)) {
            socket.getOutputStream().write(("POST " + CHAT + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
            String line;
            do {
                line = in.readLine();
            } while (line != null && !line.contains("Thinking"));
            assertThat(line).as("the first event arrived").contains("Thinking");
            leftAt = System.nanoTime();
        }
        String metadata = null;
        while (metadata == null && System.nanoTime() - leftAt < 6_000_000_000L) {
            metadata = jdbc.sql("select metadata::text from usage_events where user_id = ?").param(user)
                    .query(String.class).optional().orElse(null);
            Thread.sleep(50);
        }
        long settledAfterMillis = (System.nanoTime() - leftAt) / 1_000_000;

        assertThat(metadata).as("settled").isNotNull().contains("\"estimated\": true");
        assertThat(settledAfterMillis).as("noticed long before upstream's next event, 8 s away").isLessThan(3_000);
        assertThat(jdbc.sql("select status from credit_holds where user_id = ?").param(user).query(String.class).list())
                .containsExactly("captured");
    }

    /** A conversation larger than the 64 KiB other routes take is forwarded: the gateway's limit is 2 MiB. */
    @Test
    void aLongConversationFitsTheGatewaysBodyLimit() {
        String user = newUserId();
        String model = newModel();
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, FakeOpenRouter.completion(model, 25_000, 5, "0.002"), 0));
        String history = "h".repeat(100_000);

        var response = api.post(keyFor(user, "user"), CHAT, "{\"model\":\"" + model + "\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"" + history + "\"}]}");

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(FakeOpenRouter.chatRequests(model)).singleElement()
                .satisfies(r -> assertThat(r.body()).contains(history));
        assertFigures(user, "4.9978", "0");
    }

    @Test
    void aLegacyTextCompletionIsForwardedAndChargedLikeChat() {
        String user = newUserId();
        String model = newModel();
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"model\":\""
                + model + "\",\"choices\":[{\"index\":0,\"text\":\"Hello!\",\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":7,\"total_tokens\":19,\"cost\":0.002}}", 0));

        var response = api.post(keyFor(user, "user"), "/v1/completions", "{\"model\":\"" + model + "\",\"prompt\":\"Say hello\"}");
        var noPrompt = api.post(keyFor(user, "user"), "/v1/completions", "{\"model\":\"" + model + "\"}");

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.json().path("choices").path(0).path("text").asString()).isEqualTo("Hello!");
        assertThat(response.header("X-Credits-Charged")).isEqualTo("0.0022");
        assertThat(FakeOpenRouter.chatRequests(model)).singleElement().satisfies(r -> {
            assertThat(r.path()).isEqualTo("/api/v1/completions");
            assertThat(r.body()).contains("\"usage\":{\"include\":true}");
        });
        assertFigures(user, "4.9978", "0");
        assertThat(noPrompt.status()).isEqualTo(400);
        assertThat(noPrompt.json().path("error").path("param").asString()).isEqualTo("prompt");
    }

    private static String streamBody(String model) {
        return "{\"model\":\"" + model + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    }

    /**
     * Each chunk is passed on as it arrives: the first reaches the client while upstream is still
     * pausing before its next one. Prints the delay from upstream flush to client read (same JVM clock).
     */
    @Test
    void aStreamIsPassedOnChunkByChunk() throws Exception {
        String user = newUserId();
        String token = keyFor(user, "user");
        String model = newModel();
        List<String> events = List.of(
                "data: {\"id\":\"gen-p\",\"model\":\"" + model + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n",
                "data: {\"id\":\"gen-p\",\"model\":\"" + model + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n",
                "data: {\"id\":\"gen-p\",\"model\":\"" + model + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5,\"cost\":0.001}}\n\n",
                "data: [DONE]\n\n");
        FakeOpenRouter.answerChatPaced(model, events, 300);
        var client = java.net.http.HttpClient.newHttpClient();
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + CHAT))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(streamBody(model))).build();

        long firstChunkAt = 0;
        StringBuilder received = new StringBuilder();
        var response = client.send(request, java.net.http.HttpResponse.BodyHandlers.ofLines());
        for (var iterator = response.body().iterator(); iterator.hasNext(); ) {
            String line = iterator.next();
            if (firstChunkAt == 0 && line.startsWith("data:")) {
                firstChunkAt = System.nanoTime();
            }
            received.append(line).append('\n');
        }

        List<Long> sent = FakeOpenRouter.pacedSentAt(model);
        assertThat(sent).hasSize(4);
        assertThat(firstChunkAt).as("the first chunk arrived before upstream sent the second").isLessThan(sent.get(1));
        System.out.printf("GATEWAY first chunk: upstream flush -> client read %.2f ms%n", (firstChunkAt - sent.get(0)) / 1e6);
        assertThat(received.toString()).contains("\"content\":\"Hel\"", "[DONE]");
        assertFigures(user, "4.9989", "0");
    }

    @Test
    void aStreamIsRelayedAndChargedByItsUsageChunk() {
        String user = newUserId();
        String token = keyFor(user, "user");
        String model = newModel();
        String events = FakeOpenRouter.events(model, List.of("Hel", "lo!"), "0.002", true);
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, events, 0));

        var response = api.post(token, CHAT, streamBody(model));

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.header("Content-Type")).startsWith("text/event-stream");
        assertThat(response.body()).as("without include_usage, no usage chunk reaches the client")
                .isEqualTo(FakeOpenRouter.events(model, List.of("Hel", "lo!"), null, true));
        assertThat(response.header("X-Credits-Charged")).as("unknown when the headers leave").isNull();
        assertThat(FakeOpenRouter.chatRequests(model)).singleElement()
                .satisfies(r -> assertThat(r.body()).contains("\"stream_options\":{\"include_usage\":true}"));
        assertFigures(user, "4.9978", "0");
        var event = jdbc.sql("select input_tokens, output_tokens, total_cost_micros, metadata::text as metadata"
                + " from usage_events where user_id = ?").param(user).query().singleRow();
        assertThat(event).containsEntry("input_tokens", 12L).containsEntry("output_tokens", 7L)
                .containsEntry("total_cost_micros", 2200L);
        assertThat((String) event.get("metadata")).doesNotContain("estimated");
    }

    @Test
    void aStreamCutShortIsSettledFromTheTokensSeenAndFlaggedEstimated() {
        String user = newUserId();
        String token = keyFor(user, "user");
        String model = newModel();
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, FakeOpenRouter.events(model, List.of("Hello ", "world!"), null, false), 0));

        var response = api.post(token, CHAT, streamBody(model));

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).as("the client learns that the answer is incomplete")
                .endsWith("data: {\"error\":{\"message\":\"The upstream stream ended before it completed\","
                        + "\"type\":\"upstream_error\",\"code\":\"stream_interrupted\",\"param\":null}}\n\n");
        var event = jdbc.sql("select input_tokens, output_tokens, metadata::text as metadata"
                + " from usage_events where user_id = ?").param(user).query().singleRow();
        // "Say hello" is 9 characters, "Hello world!" 12: a quarter each, rounded up.
        assertThat(event).containsEntry("input_tokens", 3L).containsEntry("output_tokens", 3L);
        assertThat((String) event.get("metadata")).contains("\"estimated\": true");
        assertThat(balanceOf(user).path("held").decimalValue()).isEqualByComparingTo("0");
    }

    @Test
    void aStreamRefusedUpstreamReleasesTheHold() {
        String user = newUserId();
        String token = keyFor(user, "user");
        String model = newModel();
        FakeOpenRouter.answerChat(model, new ChatAnswer(503, "{\"error\":{\"code\":503,\"message\":\"down\"}}", 0));

        var response = api.post(token, CHAT, streamBody(model));

        assertThat(response.status()).isEqualTo(502);
        assertThat(response.json().path("error").path("type").asString()).isEqualTo("upstream_error");
        assertFigures(user, "5", "0");
    }
}
