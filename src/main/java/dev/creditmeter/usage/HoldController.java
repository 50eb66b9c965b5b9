package dev.creditmeter.usage;

import dev.creditmeter.credits.CreditService;
import dev.creditmeter.credits.IdempotentRequests;
import dev.creditmeter.credits.Money;
import dev.creditmeter.credits.Reply;
import dev.creditmeter.identity.Caller;
import dev.creditmeter.tiers.CallQuotas;
import dev.creditmeter.web.ApiException;
import dev.creditmeter.web.Problems;
import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import static io.swagger.v3.oas.annotations.media.Schema.RequiredMode.REQUIRED;

/**
 * Two-phase charges: place a hold on an estimate, then capture the actual usage or release it. It lives
 * with usage because a capture records and charges a usage event; the holds themselves are in credits.
 */
@RestController
@RequestMapping("/api/v1/credits/holds")
@Tag(name = "Holds")
class HoldController {

    static final long DEFAULT_TTL_SECONDS = 300;
    static final long MAX_TTL_SECONDS = 3600;

    private final CreditService credits;
    private final UsageService usage;
    private final IdempotentRequests idempotency;
    private final CallQuotas quotas;
    private final Clock clock;

    HoldController(CreditService credits, UsageService usage, IdempotentRequests idempotency, CallQuotas quotas,
                   Clock clock) {
        this.credits = credits;
        this.usage = usage;
        this.idempotency = idempotency;
        this.quotas = quotas;
        this.clock = clock;
    }
    record PlaceRequest(String userId, @Schema(requiredMode = REQUIRED) Money amount, Long ttlSeconds,
                        Map<String, Object> metadata) {
    }

    /** Either {@code amount} (the final price) or a usage body as {@code /usage/track} takes it. */
    record CaptureRequest(Money amount, String service, String model, Long tokens, Long inputTokens,
                          Long outputTokens, Money cost, Boolean isFree, Boolean isByok, String eventId,
                          Map<String, Object> metadata) {
    }

    /** What an Idempotency-Key is bound to for a capture or release: the hold and the body. */
    record HoldCall(long holdId, Object body) {
    }

    @PostMapping
    @Operation(summary = "Reserve credits until the hold is captured, released or expires (ttl_seconds, default 300); "
            + "admins and services may name a user_id")
    @ApiResponse(responseCode = "201", content = @Content(schema = @Schema(implementation = HoldView.class)))
    @ApiResponse(responseCode = "402", description = "Insufficient credits. Required: <amount>, Available: <available>")
    @ApiResponse(responseCode = "429", description = "API call quota exceeded")
    ResponseEntity<Object> place(Caller caller,
                                 @RequestHeader(name = IdempotentRequests.HEADER, required = false) String key,
                                 @RequestBody(required = false) PlaceRequest body) {
        IdempotentRequests.checkKey(key);
        PlaceRequest request = required(body);
        String userId = caller.target(request.userId());
        long ttlSeconds = request.ttlSeconds() == null ? DEFAULT_TTL_SECONDS : request.ttlSeconds();
        new Validation()
                .optionalText(userId, "user_id")
                .require(request.amount() != null && request.amount().isPositive(), "amount",
                        request.amount() == null ? "is required" : "must be greater than 0")
                .require(ttlSeconds >= 1 && ttlSeconds <= MAX_TTL_SECONDS, "ttl_seconds",
                        "must be from 1 to " + MAX_TTL_SECONDS)
                .throwIfInvalid();
        // Admission: a spent call quota refuses the hold before anything is reserved; a retry of a hold
        // that was placed gets its stored answer, whatever the quota says now.
        Supplier<Optional<ResponseEntity<Object>>> admission = () ->
                quotas.admit(userId) instanceof CallQuotas.Admission.Exceeded exceeded
                        ? Optional.of(quotaExceeded(exceeded.quota())) : Optional.empty();
        return idempotency.run(caller.actor(), key, "holds.place", request, admission, () -> switch (credits.placeHold(
                userId, request.amount(), Duration.ofSeconds(ttlSeconds), request.metadata())) {
            case CreditService.PlaceHoldResult.Placed p -> new Reply(HttpStatus.CREATED, HoldView.of(p.hold()));
            case CreditService.PlaceHoldResult.Insufficient i -> Reply.problem(HttpStatus.PAYMENT_REQUIRED,
                    "Insufficient credits. Required: " + i.required() + ", Available: " + i.available());
        });
    }

    @GetMapping
    @Operation(summary = "The open holds of the caller (admins and services: of `user_id`), oldest first, at most "
            + "`limit` (1–500, default 100)")
    java.util.List<HoldView> open(Caller caller, @RequestParam(name = "user_id", required = false) String userId,
                                  @RequestParam(defaultValue = "100") int limit) {
        new Validation()
                .optionalText(userId, "user_id")
                .require(limit >= 1 && limit <= 500, "limit", "must be between 1 and 500")
                .throwIfInvalid();
        return credits.openHolds(caller.target(userId), limit).stream().map(HoldView::of).toList();
    }

    @GetMapping("/{id}")
    @Operation(summary = "A hold; a user sees only its own")
    HoldView get(Caller caller, @PathVariable long id) {
        return credits.hold(id, owner(caller)).map(HoldView::of).orElseThrow(() -> notFound(id));
    }

    @PostMapping("/{id}/capture")
    @Operation(summary = "Charge the actual cost and release the hold: {amount} charges exactly that amount; "
            + "a usage body (as /usage/track) is priced like /usage/track. The cost may exceed what was held")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = UsageEvent.class)))
    @ApiResponse(responseCode = "409", description = "Hold <id> is already <status>")
    ResponseEntity<Object> capture(Caller caller, @PathVariable long id,
                                   @RequestHeader(name = IdempotentRequests.HEADER, required = false) String key,
                                   @RequestBody(required = false) CaptureRequest body) {
        IdempotentRequests.checkKey(key);
        CaptureRequest request = required(body);
        Usage capture = validated(request);
        return idempotency.run(caller.actor(), key, "holds.capture", new HoldCall(id, request),
                () -> switch (usage.capture(id, owner(caller), capture)) {
                    case UsageService.Captured.Charged c -> Reply.ok(c.event());
                    case UsageService.Captured.AlreadyResolved a -> alreadyResolved(a.holdId(), a.status());
                    case UsageService.Captured.NotFound n -> Reply.problem(HttpStatus.NOT_FOUND, notFoundText(id));
                });
    }

    @PostMapping("/{id}/release")
    @Operation(summary = "Void the hold: its credits are available again")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = HoldView.class)))
    @ApiResponse(responseCode = "409", description = "Hold <id> is already <status>")
    ResponseEntity<Object> release(Caller caller, @PathVariable long id,
                                   @RequestHeader(name = IdempotentRequests.HEADER, required = false) String key) {
        IdempotentRequests.checkKey(key);
        return idempotency.run(caller.actor(), key, "holds.release", new HoldCall(id, null),
                () -> switch (credits.releaseHold(id, owner(caller))) {
                    case CreditService.ResolveHoldResult.Resolved r -> Reply.ok(HoldView.of(r.hold()));
                    case CreditService.ResolveHoldResult.AlreadyResolved a ->
                            alreadyResolved(id, a.hold().status().wireName());
                    case CreditService.ResolveHoldResult.NotFound n -> Reply.problem(HttpStatus.NOT_FOUND, notFoundText(id));
                });
    }

    private static Usage validated(CaptureRequest r) {
        if (r.amount() != null) {
            // The amount is the final price: pricing fields would contradict it.
            new Validation().require(r.cost() == null && r.isFree() == null && r.isByok() == null, "amount",
                    "cannot be combined with cost, is_free or is_byok").throwIfInvalid();
            return UsageInput.atPrice(r.amount(), r.eventId(), r.service(), r.model(), r.tokens(), r.inputTokens(),
                    r.outputTokens(), r.metadata());
        }
        if (r.service() == null) {
            throw ApiException.invalid("amount", "is required, or a usage body with service");
        }
        return UsageInput.reported(null, r.eventId(), r.service(), r.model(), r.tokens(), r.inputTokens(),
                r.outputTokens(), r.cost(), r.isFree(), r.isByok(), r.metadata());
    }

    /** A user acts on its own holds only; admins and services on any. */
    private static String owner(Caller caller) {
        return caller.mayActForOthers() ? null : caller.userId();
    }

    private ResponseEntity<Object> quotaExceeded(CallQuotas.Quota quota) {
        return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS)
                .header("Retry-After", Long.toString(quota.retryAfterSeconds(clock.instant())))
                .header("X-RateLimit-Limit", String.valueOf(quota.limit()))
                .header("X-RateLimit-Remaining", String.valueOf(quota.remaining()))
                .header("X-RateLimit-Reset", Long.toString(quota.resetsAt().getEpochSecond()))
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(Problems.of(HttpStatus.TOO_MANY_REQUESTS, "API call quota exceeded"));
    }

    private static Reply alreadyResolved(long id, String status) {
        return Reply.problem(HttpStatus.CONFLICT, "Hold " + id + " is already " + status);
    }

    private static ApiException notFound(long id) {
        return ApiException.notFound(notFoundText(id));
    }

    private static String notFoundText(long id) {
        return "Hold " + id + " not found";
    }

    private static <T> T required(T body) {
        if (body == null) {
            throw ApiException.invalid("body", "is required");
        }
        return body;
    }
}
