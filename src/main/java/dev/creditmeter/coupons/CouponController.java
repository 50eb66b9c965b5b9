package dev.creditmeter.coupons;

import dev.creditmeter.credits.IdempotentRequests;
import dev.creditmeter.credits.Money;
import dev.creditmeter.credits.Reply;
import dev.creditmeter.identity.Caller;
import dev.creditmeter.web.ApiException;
import dev.creditmeter.web.InvalidField;
import dev.creditmeter.web.Problems;
import dev.creditmeter.web.UncheckedText;
import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import static io.swagger.v3.oas.annotations.media.Schema.RequiredMode.REQUIRED;

@RestController
@RequestMapping("/api/v1/credits/coupons")
@Tag(name = "Coupons")
class CouponController {

    private static final Money MAX_PERCENTAGE = Money.ofCredits(100);
    private static final String INVALID_TYPE = "Invalid coupon type";

    private final CouponService coupons;
    private final IdempotentRequests idempotency;

    CouponController(CouponService coupons, IdempotentRequests idempotency) {
        this.coupons = coupons;
        this.idempotency = idempotency;
    }
    record CreateRequest(@Schema(requiredMode = REQUIRED) String couponType,
                         @Schema(requiredMode = REQUIRED) Money value, String code, String description, Integer maxUses,
                         String expiresAt) {
    }

    /** @param code any text: a code that cannot exist is answered "not found", as the contract says */
    record RedeemRequest(@Schema(requiredMode = REQUIRED) @UncheckedText String code, Map<String, Object> metadata,
                         String userId) {
    }

    record RedeemResponse(String code, String couponType, Money value, Money creditsAwarded, Instant redeemedAt) {
    }

    record ValidateResponse(boolean valid, String reason, CouponCode coupon) {
    }

    record Message(String message) {
    }

    @PostMapping("/create")
    @Operation(summary = "Create a coupon (admin). value is credits, or percentage points for percentage_discount; "
            + "a missing code is generated as UC- and 8 random characters")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = CouponCode.class)))
    @ApiResponse(responseCode = "400", description = "Coupon code '<CODE>' already exists")
    ResponseEntity<Object> create(Caller caller, @RequestBody(required = false) CreateRequest body) {
        var command = validated(required(body));
        return switch (coupons.create(command, caller.userId(), caller.actor())) {
            case CouponService.Creation.Created c -> ResponseEntity.ok(c.coupon());
            case CouponService.Creation.DuplicateCode d ->
                    Problems.response(HttpStatus.BAD_REQUEST, "Coupon code '" + d.code() + "' already exists");
        };
    }

    /** The contract's checks in its order: the type alone first (its own 422 text), then every other field. */
    private static CouponService.NewCoupon validated(CreateRequest r) {
        var type = CouponType.fromWire(r.couponType())
                .orElseThrow(() -> ApiException.invalid(INVALID_TYPE, new InvalidField("coupon_type", INVALID_TYPE)));
        Instant expiresAt = null;
        boolean expiryParses = true;
        if (r.expiresAt() != null) {
            try {
                expiresAt = instant(r.expiresAt());
            } catch (DateTimeParseException e) {
                expiryParses = false;
            }
        }
        new Validation()
                .require(r.value() != null, "value", "is required")
                .require(r.value() == null || r.value().isPositive(), "value", "must be greater than 0")
                .require(r.value() == null || type != CouponType.PERCENTAGE_DISCOUNT
                                || r.value().compareTo(MAX_PERCENTAGE) <= 0,
                        "value", "must be at most 100 for a percentage_discount")
                .require(r.code() == null || CouponService.normalize(r.code()).isPresent(), "code",
                        "must be 3 to 50 characters of A-Z, 0-9, '-' and '_'")
                .optionalText(r.description(), "description")
                .require(r.maxUses() == null || r.maxUses() >= 1, "max_uses", "must be at least 1")
                .require(expiryParses, "expires_at", "must be an ISO-8601 date-time, e.g. 2026-12-31T23:59:59Z")
                .throwIfInvalid();
        return new CouponService.NewCoupon(type, r.value(), r.code(), r.description(), r.maxUses(), expiresAt);
    }

    /** An ISO-8601 date-time with an offset; one without is taken as UTC. */
    private static Instant instant(String text) {
        try {
            return OffsetDateTime.parse(text.strip()).toInstant();
        } catch (DateTimeParseException e) {
            return LocalDateTime.parse(text.strip()).toInstant(ZoneOffset.UTC);
        }
    }

    @PostMapping("/redeem")
    @Operation(summary = "Redeem a coupon for the caller (admins and services may name a user_id). "
            + "More than 10 failed redemptions in an hour → 429 with Retry-After")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = RedeemResponse.class)))
    @ApiResponse(responseCode = "400", description = "Coupon code not found | Coupon code is inactive | "
            + "Coupon code has expired | Coupon redemption limit reached | You have already redeemed this coupon")
    @ApiResponse(responseCode = "429", description = "Too many failed coupon redemptions")
    ResponseEntity<Object> redeem(Caller caller,
                                  @RequestHeader(name = IdempotentRequests.HEADER, required = false) String key,
                                  @RequestBody(required = false) RedeemRequest body) {
        IdempotentRequests.checkKey(key);
        RedeemRequest request = required(body);
        String userId = caller.target(request.userId());
        new Validation().require(request.code() != null, "code", "is required")
                .optionalText(userId, "user_id").throwIfInvalid();
        // The throttle refuses before any work, but a retry of a redemption that succeeded gets its answer.
        Supplier<Optional<ResponseEntity<Object>>> throttle = () ->
                coupons.throttle(userId, caller.actor()).map(CouponController::tooManyFailures);
        var asSent = new RedeemRequest(request.code(), request.metadata(), userId);
        return idempotency.run(caller.actor(), key, "coupons.redeem", asSent, throttle, () -> switch (coupons.redeem(
                userId, request.code(), request.metadata(), caller.actor())) {
            case CouponService.RedeemResult.Redeemed r -> Reply.ok(new RedeemResponse(r.redemption().code(),
                    r.redemption().couponType(), r.redemption().value(), r.redemption().creditsAwarded(),
                    r.redemption().redeemedAt()));
            case CouponService.RedeemResult.Refused f -> Reply.problem(HttpStatus.BAD_REQUEST, f.refusal().message());
        });
    }

    /** Raised under the user's lock when parallel failures got past {@link CouponService#throttle}. */
    @ExceptionHandler(CouponService.TooManyFailedAttempts.class)
    ResponseEntity<Object> tooManyFailures(CouponService.TooManyFailedAttempts e) {
        return tooManyFailures(e.retryAfter());
    }

    private static ResponseEntity<Object> tooManyFailures(Duration wait) {
        long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
        ResponseEntity<Object> problem = Problems.response(HttpStatus.TOO_MANY_REQUESTS,
                "Too many failed coupon redemptions. Try again in " + seconds + " seconds");
        return ResponseEntity.status(problem.getStatusCode()).headers(problem.getHeaders())
                .header(HttpHeaders.RETRY_AFTER, Long.toString(seconds)).body(problem.getBody());
    }

    @GetMapping("/validate/{code}")
    @Operation(summary = "Whether the caller could redeem the code now: always 200 with the first failing check")
    ValidateResponse validate(Caller caller, @PathVariable @UncheckedText String code,
                              @RequestParam(name = "user_id", required = false) String userId) {
        return switch (coupons.validate(caller.target(userId), code)) {
            case CouponService.Validity.Valid v -> new ValidateResponse(true, null, v.coupon());
            case CouponService.Validity.Invalid i -> new ValidateResponse(false, i.refusal().message(), null);
        };
    }

    @GetMapping
    @Operation(summary = "Coupons, newest first (admin). active_only (default true) keeps the redeemable ones: "
            + "active, not expired, uses left. X-Total-Count counts the matching coupons")
    ResponseEntity<List<CouponCode>> list(@RequestParam(name = "active_only", defaultValue = "true") boolean activeOnly,
                                          @RequestParam(defaultValue = "100") int limit,
                                          @RequestParam(defaultValue = "0") int offset) {
        page(limit, offset);
        var page = coupons.list(activeOnly, limit, offset);
        return ResponseEntity.ok().header("X-Total-Count", Long.toString(page.total())).body(page.rows());
    }

    @DeleteMapping("/{code}")
    @Operation(summary = "Deactivate a coupon (admin); it stays listed with is_active false")
    @ApiResponse(responseCode = "404", description = "Coupon code '<CODE>' not found")
    Message deactivate(Caller caller, @PathVariable String code) {
        return coupons.deactivate(code, caller.actor())
                .map(coupon -> new Message("Coupon '" + code + "' deactivated successfully"))
                .orElseThrow(() -> ApiException.notFound("Coupon code '" + code.strip().toUpperCase(Locale.ROOT)
                        + "' not found"));
    }

    @GetMapping("/redemptions")
    @Operation(summary = "The caller's redemptions, newest first, discounts included, for a billing system "
            + "(admins and services may name a user_id). X-Total-Count counts them")
    ResponseEntity<List<Redemption>> redemptions(Caller caller,
                                                 @RequestParam(name = "user_id", required = false) String userId,
                                                 @RequestParam(defaultValue = "100") int limit,
                                                 @RequestParam(defaultValue = "0") int offset) {
        page(limit, offset);
        var page = coupons.redemptions(caller.target(userId), limit, offset);
        return ResponseEntity.ok().header("X-Total-Count", Long.toString(page.total())).body(page.rows());
    }

    private static void page(int limit, int offset) {
        new Validation()
                .require(limit >= 1 && limit <= 500, "limit", "must be between 1 and 500")
                .require(offset >= 0, "offset", "must be 0 or more")
                .throwIfInvalid();
    }

    private static <T> T required(T body) {
        if (body == null) {
            throw ApiException.invalid("body", "is required");
        }
        return body;
    }
}
