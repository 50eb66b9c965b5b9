package dev.creditmeter.gateway;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.FunctionDefinition;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.models.Model;
import dev.creditmeter.ApiTest;
import dev.creditmeter.FakeOpenRouter;
import dev.creditmeter.FakeOpenRouter.ChatAnswer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The gateway driven by the official OpenAI Java SDK, as a developer would point it at us: base URL and key
 * changed, nothing else. Its own retries stay on (2, the default), so every test also shows what they cause.
 */
class OpenAiSdkTest extends ApiTest {

    @Autowired
    JdbcClient jdbc;

    @AfterEach
    void ledgerStaysConsistent() {
        assertLedgerConsistent();
    }

    private OpenAIClient sdk(String token) {
        return OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + port + "/v1").apiKey(token)
                .maxRetries(2).timeout(Duration.ofSeconds(30)).build();
    }

    private static String newModel() {
        return "test/sdk-" + UUID.randomUUID();
    }

    private static ChatCompletionCreateParams.Builder chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Say hello");
    }

    private BigDecimal balance(String user) {
        return balanceOf(user).path("balance").decimalValue();
    }

    private List<String> holdStatuses(String user) {
        return jdbc.sql("select status from credit_holds where user_id = ? order by id").param(user).query(String.class).list();
    }

    private static BigDecimal cost(JsonValue usageCost) {
        return new BigDecimal(usageCost.toString());
    }

    @Test
    void aCompletionAnswersWithTheCallersChargeAsItsCost() {
        String user = newUserId();
        String model = newModel();
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, FakeOpenRouter.completion(model, 12, 7, "0.002"), 0));

        ChatCompletion completion = sdk(keyFor(user, "user")).chat().completions().create(chat(model).build());

        assertThat(completion.choices().getFirst().message().content()).contains("Hello!");
        assertThat(completion.usage()).hasValueSatisfying(usage -> {
            assertThat(usage.promptTokens()).isEqualTo(12);
            assertThat(cost(usage._additionalProperties().get("cost")))
                    .as("10 % markup on upstream's 0.002: what the caller pays").isEqualByComparingTo("0.0022");
        });
        assertThat(balance(user)).isEqualByComparingTo("4.9978");
        assertThat(holdStatuses(user)).containsExactly("captured");
    }

    @Test
    void aToolCallComesBackAndTheToolDefinitionCountsTowardTheHold() {
        String user = newUserId();
        String model = newModel();
        var priced = api.put(adminKey(), "/api/v1/credits/pricing/models/" + model,
                "{\"input_price_per_million\":100,\"output_price_per_million\":100}");
        assertThat(priced.status()).as(priced.body()).isEqualTo(200);
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, toolCallCompletion(model), 0));
        var client = sdk(keyFor(user, "user"));
        String manual = "x".repeat(40_000);
        var tool = ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder()
                .name("lookup").description(manual).build()).build();

        ChatCompletion withTool = client.chat().completions().create(chat(model).maxCompletionTokens(10).addTool(tool).build());
        client.chat().completions().create(chat(model).maxCompletionTokens(10).build());

        var call = withTool.choices().getFirst().message().toolCalls().orElseThrow().getFirst();
        assertThat(call.asFunction().function().name()).isEqualTo("lookup");
        assertThat(call.asFunction().function().arguments()).isEqualTo("{\"q\":\"weather\"}");
        List<Long> holds = jdbc.sql("select amount_micros from credit_holds where user_id = ? order by id")
                .param(user).query(Long.class).list();
        // 40,000 characters are 10,000 input tokens: 1.00 at 100 per million, plus 15 % headroom; the JSON around
        // the description (name, type, keys) adds a few dozen characters.
        assertThat(holds.get(0) - holds.get(1)).isBetween(1_150_000L, 1_153_000L);
        assertThat(FakeOpenRouter.chatRequests(model).getFirst().body()).contains(manual);
    }

    private static String toolCallCompletion(String model) {
        return "{\"id\":\"gen-tool\",\"object\":\"chat.completion\",\"created\":1760000000,\"model\":\"" + model + "\","
                + "\"choices\":[{\"index\":0,\"finish_reason\":\"tool_calls\",\"message\":{\"role\":\"assistant\","
                + "\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":"
                + "{\"name\":\"lookup\",\"arguments\":\"{\\\"q\\\":\\\"weather\\\"}\"}}]}}],"
                + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15,\"cost\":0.001}}";
    }

    @Test
    void aStreamDeliversItsTextAndAUsageChunkWithTheChargeWhenAskedFor() {
        String user = newUserId();
        String model = newModel();
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, FakeOpenRouter.events(model, List.of("Hel", "lo!"), "0.002", true), 0));
        var params = chat(model).streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();

        var text = new StringBuilder();
        var usages = new ArrayList<com.openai.models.completions.CompletionUsage>();
        try (StreamResponse<ChatCompletionChunk> stream = sdk(keyFor(user, "user")).chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                chunk.choices().forEach(choice -> choice.delta().content().ifPresent(text::append));
                chunk.usage().ifPresent(usages::add);
            });
        }

        assertThat(text).hasToString("Hello!");
        assertThat(usages).singleElement().satisfies(usage ->
                assertThat(cost(usage._additionalProperties().get("cost"))).isEqualByComparingTo("0.0022"));
        assertThat(balance(user)).isEqualByComparingTo("4.9978");
    }

    @Test
    void aStreamCutShortUpstreamRaisesInTheSdkAndIsChargedAsEstimated() {
        String user = newUserId();
        String model = newModel();
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, FakeOpenRouter.events(model, List.of("Hello ", "wor"), null, false), 0));

        var text = new StringBuilder();
        assertThatThrownBy(() -> {
            try (var stream = sdk(keyFor(user, "user")).chat().completions().createStreaming(chat(model).build())) {
                stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append)));
            }
        }).isInstanceOf(OpenAIException.class).hasMessageContaining("ended before it completed");

        assertThat(text).hasToString("Hello wor");
        assertThat(FakeOpenRouter.chatRequests(model)).as("a stream is never retried").hasSize(1);
        String metadata = jdbc.sql("select metadata::text from usage_events where user_id = ?").param(user)
                .query(String.class).single();
        assertThat(metadata).contains("\"estimated\": true");
        assertThat(holdStatuses(user)).containsExactly("captured");
    }

    @Test
    void embeddingsAreHeldByTheirInputAndChargedByTheirUsage() {
        String user = newUserId();
        String model = newModel();
        var priced = api.put(adminKey(), "/api/v1/credits/pricing/models/" + model,
                "{\"input_price_per_million\":100,\"output_price_per_million\":100}");
        assertThat(priced.status()).as(priced.body()).isEqualTo(200);
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, "{\"object\":\"list\",\"model\":\"" + model + "\","
                + "\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.25,-0.5]}],"
                + "\"usage\":{\"prompt_tokens\":1000,\"total_tokens\":1000,\"cost\":0.0001}}", 0));

        CreateEmbeddingResponse answer = sdk(keyFor(user, "user")).embeddings().create(EmbeddingCreateParams.builder()
                .model(model).input("y".repeat(4_000)).build());

        assertThat(answer.data().getFirst().embedding()).containsExactly(0.25f, -0.5f);
        assertThat(answer.usage().promptTokens()).isEqualTo(1000);
        long charged = jdbc.sql("select total_cost_micros from usage_events where user_id = ?").param(user)
                .query(Long.class).single();
        assertThat(charged).as("upstream's 0.0001 with markup").isGreaterThan(100L);
        assertThat(cost(answer.usage()._additionalProperties().get("cost")))
                .isEqualByComparingTo(BigDecimal.valueOf(charged).movePointLeft(6));
        // 4,000 characters are 1,000 input tokens: 0.10 at 100 per million, plus 15 %; no output tokens.
        assertThat(jdbc.sql("select amount_micros from credit_holds where user_id = ?").param(user).query(Long.class).single())
                .isEqualTo(115_000L);
        assertThat(balance(user)).isEqualByComparingTo(BigDecimal.valueOf(5_000_000 - charged).movePointLeft(6));
        assertThat(FakeOpenRouter.chatRequests(model)).singleElement()
                .satisfies(r -> assertThat(r.path()).isEqualTo("/api/v1/embeddings"));
    }

    @Test
    void aResponsesApiCallAnswersAndIsCharged() {
        String user = newUserId();
        String model = newModel();
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, response(model, "completed", true), 0));

        Response answer = sdk(keyFor(user, "user")).responses().create(ResponseCreateParams.builder()
                .model(model).input("Say hello").build());

        assertThat(answer.output().getFirst().asMessage().content().getFirst().asOutputText().text()).isEqualTo("Hello!");
        assertThat(answer.usage()).hasValueSatisfying(usage -> {
            assertThat(usage.inputTokens()).isEqualTo(12);
            assertThat(cost(usage._additionalProperties().get("cost"))).isEqualByComparingTo("0.0022");
        });
        assertThat(balance(user)).isEqualByComparingTo("4.9978");
        assertThat(FakeOpenRouter.chatRequests(model)).singleElement()
                .satisfies(r -> assertThat(r.path()).isEqualTo("/api/v1/responses"));
    }

    @Test
    void aResponsesApiStreamDeliversItsTextAndItsCompletedEventCarriesTheCharge() {
        String user = newUserId();
        String model = newModel();
        String events = responseEvent("response.created", "\"response\":" + response(model, "in_progress", false))
                + responseEvent("response.output_text.delta", "\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hel\"")
                + responseEvent("response.output_text.delta", "\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"lo!\"")
                + responseEvent("response.completed", "\"response\":" + response(model, "completed", true));
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, events, 0));

        var text = new StringBuilder();
        var completed = new ArrayList<Response>();
        try (var stream = sdk(keyFor(user, "user")).responses().createStreaming(ResponseCreateParams.builder()
                .model(model).input("Say hello").build())) {
            stream.stream().forEach(event -> {
                event.outputTextDelta().ifPresent(delta -> text.append(delta.delta()));
                event.completed().ifPresent(done -> completed.add(done.response()));
            });
        }

        assertThat(text).hasToString("Hello!");
        assertThat(completed).singleElement().satisfies(response -> assertThat(response.usage()).hasValueSatisfying(
                usage -> assertThat(cost(usage._additionalProperties().get("cost"))).isEqualByComparingTo("0.0022")));
        assertThat(balance(user)).isEqualByComparingTo("4.9978");
        assertThat(jdbc.sql("select metadata::text from usage_events where user_id = ?").param(user).query(String.class)
                .single()).contains("\"stream\": true").doesNotContain("estimated");
    }

    /** A Responses API object as OpenRouter answers it: one output message, "Hello!", and its usage when done. */
    private static String response(String model, String status, boolean done) {
        return "{\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":1760000000,\"status\":\"" + status + "\","
                + "\"model\":\"" + model + "\",\"output\":" + (done ? "[{\"type\":\"message\",\"id\":\"msg_1\","
                + "\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\","
                + "\"text\":\"Hello!\",\"annotations\":[]}]}]" : "[]")
                + (done ? ",\"usage\":{\"input_tokens\":12,\"output_tokens\":7,\"total_tokens\":19,\"cost\":0.002}" : "") + "}";
    }

    private static int sequence;

    private static String responseEvent(String type, String fields) {
        return "event: " + type + "\ndata: {\"type\":\"" + type + "\",\"sequence_number\":" + (sequence++) + "," + fields + "}\n\n";
    }

    @Test
    void aSpentCallQuotaFailsAtOnceAndIsNotRetried() {
        String user = newUserId();
        useUpCallQuota(user);
        String model = newModel();
        var client = sdk(keyFor(user, "user"));

        long started = System.nanoTime();
        var refused = catchThrowableOfType(RateLimitException.class, () -> client.chat().completions().create(chat(model).build()));
        long elapsedMillis = (System.nanoTime() - started) / 1_000_000;

        assertThat(elapsedMillis).as("no sleep for the hours until the quota resets").isLessThan(1_000);
        assertThat(refused.code()).contains("rate_limit_exceeded");
        assertThat(refused.getMessage()).contains("API call quota exceeded");
        assertThat(FakeOpenRouter.chatRequests(model)).isEmpty();
    }

    @Test
    void anUpstreamRateLimitCausesAtMostThreeUpstreamCallsForOneSdkCall() {
        String user = newUserId();
        String model = newModel();
        FakeOpenRouter.answerChat(model, new ChatAnswer(429,
                "{\"error\":{\"code\":429,\"message\":\"Rate limit exceeded: slow down\"}}", 0, "0"));

        var refused = catchThrowableOfType(RateLimitException.class,
                () -> sdk(keyFor(user, "user")).chat().completions().create(chat(model).build()));

        assertThat(refused.getMessage()).contains("Rate limit exceeded: slow down").contains("after 3 attempts");
        assertThat(refused.headers().values("X-Upstream-Attempts")).containsExactly("3");
        assertThat(FakeOpenRouter.chatRequests(model)).as("the gateway's 3 tries, and no SDK retry on top").hasSize(3);
        assertThat(balance(user)).isEqualByComparingTo("5");
        assertThat(holdStatuses(user)).containsExactly("released");
    }

    @Test
    void anUpstreamServerErrorIsOneUpstreamCallAndNoCharge() {
        String user = newUserId();
        String model = newModel();
        FakeOpenRouter.answerChat(model, new ChatAnswer(500, "{\"error\":{\"code\":500,\"message\":\"boom\"}}", 0));

        var failed = catchThrowableOfType(InternalServerException.class,
                () -> sdk(keyFor(user, "user")).chat().completions().create(chat(model).build()));

        assertThat(failed.statusCode()).isEqualTo(502);
        assertThat(failed.getMessage()).contains("OpenRouter failed (HTTP 500)");
        assertThat(FakeOpenRouter.chatRequests(model)).as("it may have reached a model: never sent twice").hasSize(1);
        assertThat(balance(user)).isEqualByComparingTo("5");
        assertThat(holdStatuses(user)).containsExactly("released");
    }

    @Test
    void creditmetersOwnRefusalsAreReadableSdkErrors() {
        String model = newModel();
        var unauthorized = catchThrowableOfType(UnauthorizedException.class,
                () -> sdk("cm_not_a_real_key").chat().completions().create(chat(model).build()));
        assertThat(unauthorized.getMessage()).contains("bearer token");
        assertThat(unauthorized.code()).contains("invalid_api_key");

        String user = newUserId();
        var hold = api.post(adminKey(), "/api/v1/credits/holds", "{\"user_id\":\"" + user + "\",\"amount\":4.99}");
        assertThat(hold.status()).as(hold.body()).isEqualTo(201);
        var poor = catchThrowableOfType(OpenAIServiceException.class,
                () -> sdk(keyFor(user, "user")).chat().completions().create(chat(model).build()));
        assertThat(poor.statusCode()).isEqualTo(402);
        assertThat(poor.getMessage()).contains("Insufficient credits. Required: 0.05, Available: 0.01");
        assertThat(poor.code()).contains("insufficient_credits");
        assertThat(FakeOpenRouter.chatRequests(model)).isEmpty();
        api.post(adminKey(), "/api/v1/credits/holds/" + hold.json().path("hold_id").asLong() + "/release", "");
    }

    @Test
    void modelsAreListedAndRetrievedByIdsWithSlashesAndColons() {
        FakeOpenRouter.answerModels(200, FakeOpenRouter.REALISTIC_MODELS);
        var client = sdk(keyFor(newUserId(), "user"));

        List<Model> models = client.models().list().data();
        Model mini = client.models().retrieve("openai/gpt-4o-mini");
        Model free = client.models().retrieve("meta-llama/llama-3.1-8b-instruct:free");

        assertThat(models).extracting(Model::id).contains("openai/gpt-4o", "openai/gpt-4o-mini", "openrouter/auto");
        assertThat(models).allSatisfy(model -> assertThat(model._object_()).isEqualTo(JsonValue.from("model")));
        assertThat(models.getFirst().created()).isEqualTo(1715367049L);
        assertThat(mini.id()).isEqualTo("openai/gpt-4o-mini");
        assertThat(mini.ownedBy()).isEqualTo("openai");
        assertThat(mini._additionalProperties()).containsKey("pricing");
        assertThat(free.id()).isEqualTo("meta-llama/llama-3.1-8b-instruct:free");
        var missing = catchThrowableOfType(NotFoundException.class, () -> client.models().retrieve("nobody/no-such-model"));
        assertThat(missing.code()).contains("model_not_found");
    }
}
