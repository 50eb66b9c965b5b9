package dev.creditmeter.usage;

import dev.creditmeter.credits.IdempotentRequests;
import dev.creditmeter.credits.Money;
import dev.creditmeter.credits.Reply;
import dev.creditmeter.identity.Caller;
import dev.creditmeter.web.ApiException;
import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.Map;

import static io.swagger.v3.oas.annotations.media.Schema.RequiredMode.REQUIRED;

@RestController
@RequestMapping("/api/v1/credits/usage")
@Tag(name = "Usage")
class UsageController {

    static final long MAX_TOKENS = 1_000_000_000_000L;

    private final UsageService usage;
    private final IdempotentRequests idempotency;

    UsageController(UsageService usage, IdempotentRequests idempotency) {
        this.usage = usage;
        this.idempotency = idempotency;
    }
    record TrackRequest(@Schema(requiredMode = REQUIRED) String service, String model, Long tokens, Money cost,
                        Boolean isFree, Map<String, Object> metadata, String eventId, Long inputTokens,
                        Long outputTokens, Boolean isByok, String userId) {
    }

    @PostMapping("/track")
    @Operation(summary = "Record a usage event and charge it: provider cost plus the platform markup. "
            + "Idempotent on event_id, metadata.request_id or Idempotency-Key")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = UsageEvent.class)))
    ResponseEntity<Object> track(Caller caller,
                                 @RequestHeader(name = IdempotentRequests.HEADER, required = false) String key,
                                 @RequestBody(required = false) TrackRequest body) {
        IdempotentRequests.checkKey(key);
        if (body == null) {
            throw ApiException.invalid("body", "is required");
        }
        String userId = caller.target(body.userId());
        var track = toTrack(userId, body, key);
        if (key != null) {
            // Like every route: the same key with another body is refused, not answered with the first event.
            return idempotency.run(caller.actor(), key, "usage.track", withUser(body, userId),
                    () -> Reply.ok(usage.track(track).event()));
        }
        var tracked = usage.track(track);
        var response = ResponseEntity.ok();
        if (tracked instanceof UsageService.Tracked.Duplicate) {
            response.header("Idempotent-Replayed", "true");
        }
        return response.body(tracked.event());
    }

    private static TrackRequest withUser(TrackRequest r, String userId) {
        return new TrackRequest(r.service(), r.model(), r.tokens(), r.cost(), r.isFree(), r.metadata(), r.eventId(),
                r.inputTokens(), r.outputTokens(), r.isByok(), userId);
    }

    /** Checks a reported event and turns it into a command for {@code userId}; 422 names the bad fields. */
    static UsageService.Track toTrack(String userId, TrackRequest body, String key) {
        String eventId = eventId(body, key);
        new Validation()
                .text(body.service(), "service")
                .optionalText(body.model(), "model")
                .optionalText(userId, "user_id")
                .require(eventId == null || (!eventId.isBlank() && eventId.length() <= Validation.MAX_TEXT_LENGTH),
                        "event_id", "must be 1 to 255 characters")
                .require(tokenCount(body.tokens()), "tokens", "must be an integer from 0 to " + MAX_TOKENS)
                .require(tokenCount(body.inputTokens()), "input_tokens", "must be an integer from 0 to " + MAX_TOKENS)
                .require(tokenCount(body.outputTokens()), "output_tokens", "must be an integer from 0 to " + MAX_TOKENS)
                .require(body.cost() == null || body.cost().micros() >= 0, "cost", "must be 0 or more")
                .throwIfInvalid();
        return new UsageService.Track(userId, eventId, body.service(), body.model(), body.tokens(),
                body.inputTokens(), body.outputTokens(), body.cost() == null ? null : body.cost().micros(),
                Boolean.TRUE.equals(body.isFree()), Boolean.TRUE.equals(body.isByok()), body.metadata());
    }

    /** The event's own id, else the caller's metadata.request_id, else the Idempotency-Key. */
    private static String eventId(TrackRequest body, String key) {
        if (body.eventId() != null) {
            return body.eventId();
        }
        Object requestId = body.metadata() == null ? null : body.metadata().get("request_id");
        if (requestId instanceof String || requestId instanceof Number) {
            return requestId.toString();
        }
        return key;
    }

    private static boolean tokenCount(Long value) {
        return value == null || (value >= 0 && value <= MAX_TOKENS);
    }
}
