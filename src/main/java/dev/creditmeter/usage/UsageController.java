package dev.creditmeter.usage;

import dev.creditmeter.credits.IdempotentRequests;
import dev.creditmeter.credits.Money;
import dev.creditmeter.credits.Reply;
import dev.creditmeter.identity.Caller;
import dev.creditmeter.web.ApiException;
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

    private final UsageService usage;
    private final IdempotentRequests idempotency;

    UsageController(UsageService usage, IdempotentRequests idempotency) {
        this.usage = usage;
        this.idempotency = idempotency;
    }
    record TrackRequest(@Schema(requiredMode = REQUIRED) String service, String model, Long tokens, Money cost,
                        Boolean isFree, Map<String, Object> metadata, String eventId, Long inputTokens,
                        Long outputTokens, Boolean isByok, String userId) {

        /**
         * The usage it reports, of {@code user}; 422 names the bad fields. Its event_id is its own, else
         * metadata.request_id, else the Idempotency-Key {@code key}.
         */
        Usage usage(String user, String key) {
            return UsageInput.reported(user, eventId(key), service, model, tokens, inputTokens, outputTokens, cost,
                    isFree, isByok, metadata);
        }

        private String eventId(String key) {
            if (eventId != null) {
                return eventId;
            }
            Object requestId = metadata == null ? null : metadata.get("request_id");
            if (requestId instanceof String || requestId instanceof Number) {
                return requestId.toString();
            }
            return key;
        }
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
        var track = body.usage(userId, key);
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
}
