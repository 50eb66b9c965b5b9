package dev.creditmeter.gateway;

import dev.creditmeter.byok.ByokService;
import dev.creditmeter.byok.OpenRouterClient;
import dev.creditmeter.byok.OpenRouterProperties;
import dev.creditmeter.identity.Caller;
import dev.creditmeter.tiers.CallQuotas;
import dev.creditmeter.web.TextRules;
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

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import jakarta.servlet.http.HttpServletResponse;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
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

    private static final Logger log = LoggerFactory.getLogger(GatewayController.class);
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

    @PostMapping("/v1/chat/completions")
    @Operation(summary = "OpenAI-compatible chat completion through OpenRouter, with the caller's own key or the "
            + "platform's (held, then charged by the actual usage with markup)")
    ResponseEntity<String> chat(Caller caller, @RequestBody(required = false) String body, HttpServletResponse response)
            throws IOException {
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
        String modelProblem = TextRules.nameProblem(request.path("model").asString());
        if (modelProblem != null) {
            // The model is stored with the hold and the usage event; the rest of the body only passes through.
            return error(HttpStatus.BAD_REQUEST, "model " + modelProblem, "invalid_request_error");
        }
        if (!request.path("messages").isArray()) {
            return error(HttpStatus.BAD_REQUEST, "messages must be an array", "invalid_request_error");
        }
        if (request.path("stream").asBoolean(false)) {
            return stream(caller.userId(), request, response);
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
            case ChatGateway.Outcome.Streaming s -> throw new IllegalStateException("not a stream");
        };
    }

    /**
     * Relays upstream's events as they arrive, flushing after each, and settles once the stream ends (after
     * {@code [DONE]}, or cut short by either side). Headers go out before the charge is known, so a stream
     * carries no {@code X-Credits-Charged}: the charge is the usage event recorded when it ends. The relay
     * writes on the request's own (virtual) thread: blocking costs nothing, and no async dispatch is needed.
     */
    private ResponseEntity<String> stream(String userId, ObjectNode request, HttpServletResponse response)
            throws IOException {
        return switch (gateway.openStream(userId, request)) {
            case ChatGateway.Outcome.Streaming s -> {
                response.setStatus(HttpStatus.OK.value());
                response.setContentType(MediaType.TEXT_EVENT_STREAM_VALUE);
                response.setCharacterEncoding(StandardCharsets.UTF_8.name());
                response.setHeader("Cache-Control", "no-cache");
                response.setHeader("X-Accel-Buffering", "no");
                relay(s, request, response.getOutputStream());
                yield null; // answered: the response parameter marks the request handled
            }
            case ChatGateway.Outcome.UpstreamFailed f -> upstreamFailure(f.status(), f.body());
            case ChatGateway.Outcome.Insufficient i -> error(HttpStatus.PAYMENT_REQUIRED,
                    "Insufficient credits. Required: " + i.required() + ", Available: " + i.available(),
                    "insufficient_credits");
            case ChatGateway.Outcome.QuotaExceeded q -> quotaExceeded(q.quota());
            case ChatGateway.Outcome.NoPlatformKey n -> error(HttpStatus.SERVICE_UNAVAILABLE,
                    "The gateway has no OpenRouter key configured", "service_unavailable");
            case ChatGateway.Outcome.Completed c -> throw new IllegalStateException("a stream");
        };
    }

    private void relay(ChatGateway.Outcome.Streaming stream, ObjectNode request, OutputStream out) throws IOException {
        var tally = new StreamTally(json);
        try (var upstream = new BufferedReader(new InputStreamReader(stream.events(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = upstream.readLine()) != null) {
                tally.line(line);
                out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                if (line.isEmpty()) {
                    out.flush(); // one event complete: on its way now, not when a buffer fills
                }
            }
            out.flush();
        } finally {
            try {
                gateway.settleStream(stream.call(), request, tally);
            } catch (RuntimeException e) {
                // The hold stays and expires by the sweeper: its credits come back, nothing is charged twice.
                log.error("Settling a gateway stream for {} failed", stream.call().userId(), e);
            }
        }
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
