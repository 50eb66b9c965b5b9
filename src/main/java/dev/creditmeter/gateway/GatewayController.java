package dev.creditmeter.gateway;

import dev.creditmeter.byok.ByokService;
import dev.creditmeter.openrouter.OpenRouterClient;
import dev.creditmeter.openrouter.OpenRouterProperties;
import dev.creditmeter.credits.Money;
import dev.creditmeter.identity.Caller;
import dev.creditmeter.tiers.CallQuotas;
import dev.creditmeter.web.TextRules;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;

/**
 * OpenAI-compatible routes, open to every role; the caller is the user charged. Answers are OpenRouter's
 * bodies unchanged, with {@code X-Credits-Charged} and {@code X-Credits-Remaining}; our own refusals use
 * OpenAI's error shape {@code {"error": {"message", "type", "code"}}} so that OpenAI clients understand them.
 */
@RestController
@Tag(name = "Gateway")
class GatewayController {

    static final String CHARGED = "X-Credits-Charged";
    static final String REMAINING = "X-Credits-Remaining";
    /** Read by the OpenAI SDKs (Java, Python, Node): {@code false} means "do not retry this". */
    static final String SHOULD_RETRY = "x-should-retry";
    static final String UPSTREAM_ATTEMPTS = "X-Upstream-Attempts";
    /** The OpenAI SDKs honour a Retry-After up to 60 s; a longer wait is not one a client should sleep through. */
    static final long LONGEST_CLIENT_RETRY_SECONDS = 60;

    private final ChatGateway gateway;
    private final OpenRouterClient openRouter;
    private final OpenRouterProperties settings;
    private final ByokService byok;
    private final JsonMapper json;
    private final Clock clock;

    GatewayController(ChatGateway gateway, OpenRouterClient openRouter, OpenRouterProperties settings, ByokService byok,
                      JsonMapper json, Clock clock) {
        this.gateway = gateway;
        this.openRouter = openRouter;
        this.settings = settings;
        this.byok = byok;
        this.json = json;
        this.clock = clock;
    }

    @PostMapping("/v1/chat/completions")
    @Operation(summary = "OpenAI-compatible chat completion through OpenRouter, with the caller's own key or the "
            + "platform's (held, then charged by the actual usage with markup); streaming or not")
    ResponseEntity<String> chat(Caller caller, @RequestBody(required = false) String body, HttpServletResponse response)
            throws IOException {
        return forward(Endpoint.CHAT, caller, body, response);
    }

    @PostMapping("/v1/completions")
    @Operation(summary = "OpenAI-compatible (legacy) text completion through OpenRouter, metered as chat")
    ResponseEntity<String> completions(Caller caller, @RequestBody(required = false) String body,
                                       HttpServletResponse response) throws IOException {
        return forward(Endpoint.COMPLETIONS, caller, body, response);
    }

    @PostMapping("/v1/embeddings")
    @Operation(summary = "OpenAI-compatible embeddings through OpenRouter, held and charged by their input tokens")
    ResponseEntity<String> embeddings(Caller caller, @RequestBody(required = false) String body,
                                      HttpServletResponse response) throws IOException {
        return forward(Endpoint.EMBEDDINGS, caller, body, response);
    }

    @PostMapping("/v1/responses")
    @Operation(summary = "OpenAI's Responses API through OpenRouter, metered as chat; streaming or not")
    ResponseEntity<String> responses(Caller caller, @RequestBody(required = false) String body,
                                     HttpServletResponse response) throws IOException {
        return forward(Endpoint.RESPONSES, caller, body, response);
    }

    private ResponseEntity<String> forward(Endpoint endpoint, Caller caller, String body, HttpServletResponse response)
            throws IOException {
        ObjectNode request;
        try {
            JsonNode parsed = body == null ? null : json.readTree(body);
            if (parsed == null || !parsed.isObject()) {
                return error(HttpStatus.BAD_REQUEST, "The body must be a JSON object");
            }
            request = (ObjectNode) parsed;
        } catch (RuntimeException e) {
            return error(HttpStatus.BAD_REQUEST, "The body is not valid JSON");
        }
        if (!request.path("model").isString() || request.path("model").asString().isBlank()) {
            return error(HttpStatus.BAD_REQUEST, "model is required", "model");
        }
        String modelProblem = TextRules.nameProblem(request.path("model").asString());
        if (modelProblem != null) {
            // The model is stored with the hold and the usage event; the rest of the body only passes through.
            return error(HttpStatus.BAD_REQUEST, "model " + modelProblem, "model");
        }
        JsonNode required = request.path(endpoint.requiredField);
        if (endpoint == Endpoint.CHAT ? !required.isArray() : !(required.isArray() || required.isString())) {
            return error(HttpStatus.BAD_REQUEST, endpoint.requiredField
                    + (endpoint == Endpoint.CHAT ? " must be an array" : " must be a string or an array"), endpoint.requiredField);
        }
        if (endpoint != Endpoint.EMBEDDINGS && request.path("stream").asBoolean(false)) {
            return stream(endpoint, caller.userId(), request, response);
        }
        return switch (gateway.complete(endpoint, caller.userId(), request)) {
            case ChatGateway.Outcome.Completed c -> ResponseEntity.ok()
                    .header(CHARGED, c.charged().toString()).header(REMAINING, c.balanceAfter().toString())
                    .contentType(MediaType.APPLICATION_JSON).body(withCharge(c, c.charged()));
            case ChatGateway.Outcome refused -> refusal(refused);
        };
    }

    /**
     * Relays upstream's events as they arrive (see {@link StreamRelay}). Headers go out before the charge is
     * known, so a stream carries no {@code X-Credits-Charged}: the usage chunk's {@code cost} says it (a chat
     * stream's when the client asked for usage; a Responses API stream's always). The relay writes on the
     * request's own (virtual) thread: blocking costs nothing, and no async dispatch is needed.
     */
    private ResponseEntity<String> stream(Endpoint endpoint, String userId, ObjectNode request, HttpServletResponse response)
            throws IOException {
        // read before the gateway asks upstream for usage in any case
        boolean clientWantsUsage = !endpoint.usageOnRequest()
                || request.path("stream_options").path("include_usage").asBoolean(false);
        return switch (gateway.openStream(endpoint, userId, request)) {
            case ChatGateway.Outcome.Streaming s -> {
                response.setStatus(HttpStatus.OK.value());
                response.setContentType(MediaType.TEXT_EVENT_STREAM_VALUE);
                response.setCharacterEncoding(StandardCharsets.UTF_8.name());
                response.setHeader("Cache-Control", "no-cache");
                response.setHeader("X-Accel-Buffering", "no");
                new StreamRelay(json, clientWantsUsage, tally -> gateway.settleStream(s.call(), request, tally))
                        .run(s.events(), response.getOutputStream(), userId);
                yield null; // answered: the response parameter marks the request handled
            }
            case ChatGateway.Outcome refused -> refusal(refused);
        };
    }

    private ResponseEntity<String> refusal(ChatGateway.Outcome outcome) {
        return switch (outcome) {
            case ChatGateway.Outcome.UpstreamFailed f -> upstreamFailure(f.status(), f.body(), f.attempts());
            case ChatGateway.Outcome.Insufficient i -> error(HttpStatus.PAYMENT_REQUIRED,
                    "Insufficient credits. Required: " + i.required() + ", Available: " + i.available());
            case ChatGateway.Outcome.QuotaExceeded q -> quotaExceeded(q.quota());
            case ChatGateway.Outcome.NoPlatformKey n -> error(HttpStatus.SERVICE_UNAVAILABLE,
                    "The gateway has no OpenRouter key configured");
            case ChatGateway.Outcome.Completed c -> throw new IllegalStateException("not a refusal");
            case ChatGateway.Outcome.Streaming s -> throw new IllegalStateException("not a refusal");
        };
    }

    /** Upstream's answer with {@code usage.cost} = what the caller was charged, not the platform's upstream cost. */
    private String withCharge(ChatGateway.Outcome.Completed completed, Money charged) {
        if (completed.answer() instanceof ObjectNode answer && answer.path("usage") instanceof ObjectNode usage) {
            usage.put("cost", charged.toCredits());
            return json.writeValueAsString(answer);
        }
        return completed.body(); // no usage in it: nothing to correct
    }

    @GetMapping(path = "/v1/models", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "The model list (OpenRouter's, read with the caller's own key or the platform's), each model "
            + "with OpenAI's id, object, created and owned_by besides OpenRouter's fields")
    ResponseEntity<String> models(Caller caller) {
        var reply = modelList(caller);
        if (!reply.ok()) {
            return upstreamFailure(reply.status(), reply.body(), reply.attempts());
        }
        ObjectNode list = json.createObjectNode();
        list.put("object", "list");
        var data = list.putArray("data");
        for (JsonNode model : upstreamModels(reply.body())) {
            data.add(openAiModel(model));
        }
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(json.writeValueAsString(list));
    }

    /**
     * One model by its id, which contains {@code /} and maybe {@code :}: {@code /v1/models/openai/gpt-4o-mini}
     * and the encoded {@code /v1/models/openai%2Fgpt-4o-mini} (what the SDKs send) both work.
     */
    @GetMapping(path = "/v1/models/{*id}", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "One model of the list, by its id")
    ResponseEntity<String> model(Caller caller, @PathVariable("id") String id) {
        String wanted = id.startsWith("/") ? id.substring(1) : id;
        var reply = modelList(caller);
        if (!reply.ok()) {
            return upstreamFailure(reply.status(), reply.body(), reply.attempts());
        }
        for (JsonNode model : upstreamModels(reply.body())) {
            if (wanted.equals(model.path("id").asString(null))) {
                return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON)
                        .body(json.writeValueAsString(openAiModel(model)));
            }
        }
        String named = TextRules.nameProblem(wanted) == null ? " '" + wanted + "'" : "";
        return error(HttpStatus.NOT_FOUND, "The model" + named + " does not exist", "model", "model_not_found");
    }

    private OpenRouterClient.Reply modelList(Caller caller) {
        String key = byok.keyOf(caller.userId()).orElse(settings.platformKey());
        var reply = openRouter.get("/models", key);
        return reply.ok() ? reply : new OpenRouterClient.Reply(reply.status(), OpenRouterClient.redact(reply.body(), key),
                reply.failure(), reply.attempts());
    }

    private JsonNode upstreamModels(String body) {
        try {
            return json.readTree(body).path("data");
        } catch (RuntimeException e) {
            return json.createArrayNode();
        }
    }

    /** OpenRouter's model object with OpenAI's four fields first: id, object, created, owned_by. */
    private ObjectNode openAiModel(JsonNode upstream) {
        ObjectNode model = json.createObjectNode();
        String id = upstream.path("id").asString("");
        model.put("id", id);
        model.put("object", "model");
        model.put("created", upstream.path("created").asLong(0));
        model.put("owned_by", id.contains("/") ? id.substring(0, id.indexOf('/')) : "openrouter");
        if (upstream instanceof ObjectNode fields) {
            fields.properties().forEach(field -> {
                if (!model.has(field.getKey())) {
                    model.set(field.getKey(), field.getValue());
                }
            });
        }
        return model;
    }

    /**
     * An upstream refusal in OpenAI's shape, with upstream's message. {@code x-should-retry: false} tells the
     * SDKs not to repeat it: the gateway already retried what could be retried ({@code X-Upstream-Attempts}
     * says how often), so one client call never causes more than {@link OpenRouterClient#MAX_ATTEMPTS}
     * upstream calls. A 4xx keeps its status, except a 401: OpenRouter refusing the key the gateway sent is not
     * the caller's key being wrong, so it is our 502, as is a 5xx or no answer.
     */
    private ResponseEntity<String> upstreamFailure(int status, String body, int attempts) {
        HttpStatus answer = status >= 400 && status < 500 && status != 401 && HttpStatus.resolve(status) != null
                ? HttpStatus.valueOf(status) : HttpStatus.BAD_GATEWAY;
        String message = status == 0 ? "OpenRouter did not answer"
                : status == 401 ? "OpenRouter refused the gateway's key: " + upstreamMessage(body, HttpStatus.UNAUTHORIZED)
                : answer == HttpStatus.BAD_GATEWAY ? "OpenRouter failed (HTTP " + status + ")"
                : upstreamMessage(body, answer);
        if (attempts > 1) {
            message += " (after " + attempts + " attempts by the gateway)";
        }
        return ResponseEntity.status(answer).contentType(MediaType.APPLICATION_JSON)
                .header(SHOULD_RETRY, "false")
                .header(UPSTREAM_ATTEMPTS, Integer.toString(attempts))
                .body(json.writeValueAsString(OpenAiErrors.body(answer, message, null, null)));
    }

    private String upstreamMessage(String body, HttpStatus status) {
        try {
            String message = json.readTree(body).path("error").path("message").asString("");
            if (!message.isBlank()) {
                return message;
            }
        } catch (RuntimeException notJson) {
            // upstream's own words are not readable: ours then
        }
        return "OpenRouter refused the request (HTTP " + status.value() + ")";
    }

    /**
     * 429 for a spent call quota. The SDKs sleep for whatever {@code Retry-After} says, beyond their own
     * time-out; so a wait longer than {@link #LONGEST_CLIENT_RETRY_SECONDS} comes with
     * {@code x-should-retry: false}: the client gets its error at once and does not retry.
     */
    private ResponseEntity<String> quotaExceeded(CallQuotas.Quota quota) {
        long retryAfter = quota.retryAfterSeconds(clock.instant());
        var answer = ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS)
                .header("Retry-After", Long.toString(retryAfter))
                .header("X-RateLimit-Limit", String.valueOf(quota.limit()))
                .header("X-RateLimit-Remaining", String.valueOf(quota.remaining()))
                .header("X-RateLimit-Reset", Long.toString(quota.resetsAt().getEpochSecond()));
        if (retryAfter > LONGEST_CLIENT_RETRY_SECONDS) {
            answer.header(SHOULD_RETRY, "false");
        }
        return answer.contentType(MediaType.APPLICATION_JSON).body(json.writeValueAsString(OpenAiErrors.body(
                HttpStatus.TOO_MANY_REQUESTS, "API call quota exceeded; it resets at " + quota.resetsAt(), null, null)));
    }

    private ResponseEntity<String> error(HttpStatus status, String message) {
        return error(status, message, null, null);
    }

    private ResponseEntity<String> error(HttpStatus status, String message, String param) {
        return error(status, message, param, null);
    }

    private ResponseEntity<String> error(HttpStatus status, String message, String param, String code) {
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON)
                .body(json.writeValueAsString(OpenAiErrors.body(status, message, code, param)));
    }
}
