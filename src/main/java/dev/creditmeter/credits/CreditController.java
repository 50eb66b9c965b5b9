package dev.creditmeter.credits;

import dev.creditmeter.identity.Caller;
import dev.creditmeter.web.ApiException;
import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;
import java.util.Map;

import static io.swagger.v3.oas.annotations.media.Schema.RequiredMode.REQUIRED;

@RestController
@RequestMapping("/api/v1/credits")
@Tag(name = "Credits")
class CreditController {

    private final CreditService credits;
    private final IdempotentRequests idempotency;

    CreditController(CreditService credits, IdempotentRequests idempotency) {
        this.credits = credits;
        this.idempotency = idempotency;
    }
    record AllocateRequest(@Schema(requiredMode = REQUIRED) String userId,
                           @Schema(requiredMode = REQUIRED) Money amount,
                           @Schema(requiredMode = REQUIRED) String source, Map<String, Object> metadata) {
    }
    record DeductRequest(@Schema(requiredMode = REQUIRED) String userId, @Schema(requiredMode = REQUIRED) Money amount,
                         @Schema(requiredMode = REQUIRED) String service, String model,
                         Map<String, Object> costBreakdown, Map<String, Object> metadata) {
    }
    record RefundRequest(@Schema(requiredMode = REQUIRED) String userId, @Schema(requiredMode = REQUIRED) Money amount,
                         @Schema(requiredMode = REQUIRED) String reason, Map<String, Object> metadata) {
    }

    @PostMapping("/allocate")
    @Operation(summary = "Add bonus credits to a user (admin, service); provisions an unknown user first")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = CreditBalance.class)))
    ResponseEntity<Object> allocate(Caller caller, @Parameter(description = "Makes retries safe")
                                    @RequestHeader(name = IdempotentRequests.HEADER, required = false) String key,
                                    @RequestBody(required = false) AllocateRequest body) {
        IdempotentRequests.checkKey(key);
        AllocateRequest request = required(body);
        new Validation().text(request.userId(), "user_id").text(request.source(), "source")
                .require(positive(request.amount()), "amount", amountMessage(request.amount()))
                .throwIfInvalid();
        return idempotency.run(caller.actor(), key, "allocate", request, () -> Reply.ok(CreditBalance.of(
                credits.allocate(request.userId(), request.amount(), request.source(), request.metadata(),
                        caller.actor(), key))));
    }

    @PostMapping("/deduct")
    @Operation(summary = "Take credits from a user (admin, service): allowance first, then bonus")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = CreditBalance.class)))
    @ApiResponse(responseCode = "404", description = "User <id> does not have a credit account")
    ResponseEntity<Object> deduct(Caller caller,
                                  @RequestHeader(name = IdempotentRequests.HEADER, required = false) String key,
                                  @RequestBody(required = false) DeductRequest body) {
        IdempotentRequests.checkKey(key);
        DeductRequest request = required(body);
        new Validation().text(request.userId(), "user_id").text(request.service(), "service")
                .optionalText(request.model(), "model")
                .require(positive(request.amount()), "amount", amountMessage(request.amount()))
                .throwIfInvalid();
        return idempotency.run(caller.actor(), key, "deduct", request, () -> switch (credits.deduct(
                request.userId(), request.amount(), request.service(), request.model(), request.costBreakdown(),
                request.metadata(), caller.actor(), key)) {
            case CreditService.DeductResult.Deducted d -> Reply.ok(CreditBalance.of(d.account()));
            case CreditService.DeductResult.Insufficient i -> Reply.problem(HttpStatus.BAD_REQUEST,
                    "Insufficient credits. Required: " + i.required() + ", Available: " + i.available());
            case CreditService.DeductResult.NoAccount n -> noAccount(n.userId());
        });
    }

    @PostMapping("/refund")
    @Operation(summary = "Give credits back to a user as bonus (admin, service)")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = CreditBalance.class)))
    @ApiResponse(responseCode = "404", description = "User <id> does not have a credit account")
    ResponseEntity<Object> refund(Caller caller,
                                  @RequestHeader(name = IdempotentRequests.HEADER, required = false) String key,
                                  @RequestBody(required = false) RefundRequest body) {
        IdempotentRequests.checkKey(key);
        RefundRequest request = required(body);
        new Validation().text(request.userId(), "user_id").text(request.reason(), "reason")
                .require(positive(request.amount()), "amount", amountMessage(request.amount()))
                .throwIfInvalid();
        return idempotency.run(caller.actor(), key, "refund", request, () -> switch (credits.refund(
                request.userId(), request.amount(), request.reason(), request.metadata(), caller.actor(), key)) {
            case CreditService.RefundResult.Refunded r -> Reply.ok(CreditBalance.of(r.account()));
            case CreditService.RefundResult.NoAccount n -> noAccount(n.userId());
        });
    }

    @GetMapping("/transactions")
    @Operation(summary = "The caller's ledger, newest first; X-Total-Count counts the matching rows")
    ResponseEntity<List<LedgerEntries.Transaction>> transactions(
            Caller caller,
            @RequestParam(name = "user_id", required = false) String userId,
            @RequestParam(name = "transaction_type", required = false) String type,
            @RequestParam(defaultValue = "50") int limit,
            @RequestParam(defaultValue = "0") int offset) {
        new Validation()
                .require(limit >= 1 && limit <= 500, "limit", "must be between 1 and 500")
                .require(offset >= 0, "offset", "must be 0 or more")
                .throwIfInvalid();
        var page = credits.transactions(caller.target(userId), type, limit, offset);
        return ResponseEntity.ok().header("X-Total-Count", Long.toString(page.total())).body(page.rows());
    }

    private static Reply noAccount(String userId) {
        return Reply.problem(HttpStatus.NOT_FOUND, "User " + userId + " does not have a credit account");
    }

    private static <T> T required(T body) {
        if (body == null) {
            throw ApiException.invalid("body", "is required");
        }
        return body;
    }

    private static boolean positive(Money amount) {
        return amount != null && amount.isPositive();
    }

    private static String amountMessage(Money amount) {
        return amount == null ? "is required" : "must be greater than 0";
    }
}
