package dev.creditmeter.gateway;

import dev.creditmeter.byok.ByokService;
import dev.creditmeter.byok.OpenRouterClient;
import dev.creditmeter.byok.OpenRouterProperties;
import dev.creditmeter.identity.Caller;
import dev.creditmeter.tiers.CallQuotas;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

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

    @PostMapping(path = "/v1/chat/completions", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "OpenAI-compatible chat completion through OpenRouter, with the caller's own key or the "
            + "platform's (held, then charged by the actual usage with markup)")
    ResponseEntity<String> chat(Caller caller, @RequestBody(required = false) String body) {
        ObjectNode request;
        try {
            JsonNode parsed = body == null ? null : json.readTree(body);
            if (parsed == null || !parsed.isObject()) {
                return error(HttpStatus.BAD_REQUEST, "The body must be a JSON object", "invalid_request_error");
            }
            request = (ObjectNode) parsed;
        } catch (RuntimeException e) {
            return error(HttpStatus.BAD_REQUEST, "The body is not valid JSON", "invalid_request_error");
        }
        if (!request.path("model").isString() || request.path("model").asString().isBlank()) {
            return error(HttpStatus.BAD_REQUEST, "model is required", "invalid_request_error");
        }
        if (!request.path("messages").isArray()) {
            return error(HttpStatus.BAD_REQUEST, "messages must be an array", "invalid_request_error");
        }
        if (request.path("stream").asBoolean(false)) {
            return error(HttpStatus.BAD_REQUEST, "stream is not supported yet", "invalid_request_error");
        }
        return switch (gateway.complete(caller.userId(), request)) {
            case ChatGateway.Outcome.Completed c -> ResponseEntity.ok()
                    .header(CHARGED, c.charged().toString()).header(REMAINING, c.balanceAfter().toString())
                    .contentType(MediaType.APPLICATION_JSON).body(c.body());
            case ChatGateway.Outcome.UpstreamFailed f -> upstreamFailure(f.status(), f.body());
            case ChatGateway.Outcome.Insufficient i -> error(HttpStatus.PAYMENT_REQUIRED,
                    "Insufficient credits. Required: " + i.required() + ", Available: " + i.available(),
                    "insufficient_credits");
            case ChatGateway.Outcome.QuotaExceeded q -> quotaExceeded(q.quota());
            case ChatGateway.Outcome.NoPlatformKey n -> error(HttpStatus.SERVICE_UNAVAILABLE,
                    "The gateway has no OpenRouter key configured", "service_unavailable");
        };
    }

    @GetMapping(path = "/v1/models", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "OpenRouter's model list, read with the caller's own key or the platform's")
    ResponseEntity<String> models(Caller caller) {
        String key = byok.keyOf(caller.userId()).orElse(settings.platformKey());
        var reply = openRouter.get("/models", key);
        return reply.ok() ? ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(reply.body())
                : upstreamFailure(reply.status(), reply.body());
    }

    /** A 4xx passes through as upstream said it; a 5xx or no answer is our 502. */
    private ResponseEntity<String> upstreamFailure(int status, String body) {
        if (status >= 400 && status < 500 && body != null) {
            return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(body);
        }
        return error(HttpStatus.BAD_GATEWAY, status == 0 ? "OpenRouter did not answer"
                : "OpenRouter failed (HTTP " + status + ")", "upstream_error");
    }

    private ResponseEntity<String> quotaExceeded(CallQuotas.Quota quota) {
        var response = error(HttpStatus.TOO_MANY_REQUESTS, "API call quota exceeded", "rate_limit_exceeded");
        return ResponseEntity.status(response.getStatusCode())
                .header("Retry-After", Long.toString(quota.retryAfterSeconds(clock.instant())))
                .header("X-RateLimit-Limit", String.valueOf(quota.limit()))
                .header("X-RateLimit-Remaining", String.valueOf(quota.remaining()))
                .header("X-RateLimit-Reset", Long.toString(quota.resetsAt().getEpochSecond()))
                .contentType(MediaType.APPLICATION_JSON).body(response.getBody());
    }

    private ResponseEntity<String> error(HttpStatus status, String message, String type) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", type);
        error.put("code", status.value());
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON)
                .body(json.writeValueAsString(Map.of("error", error)));
    }
}
