package dev.creditmeter.tiers;

import dev.creditmeter.credits.CreditBalance;
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
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

import static io.swagger.v3.oas.annotations.media.Schema.RequiredMode.REQUIRED;

@RestController
@RequestMapping("/api/v1/credits/tiers")
@Tag(name = "Tiers")
class TierController {

    private final TierService tiers;
    private final CallQuotas quotas;
    private final IdempotentRequests idempotency;

    TierController(TierService tiers, CallQuotas quotas, IdempotentRequests idempotency) {
        this.tiers = tiers;
        this.quotas = quotas;
        this.idempotency = idempotency;
    }

    /** A tier as the comparison shows it. */
    record TierView(String tier, Money priceMonthly, Money creditsMonthly, List<String> features,
                    ApiCallLimit apiCalls) {

        /** @param limit null when unlimited */
        record ApiCallLimit(Long limit, String period) {
        }

        static TierView of(Tier t) {
            return new TierView(t.name(), t.priceMonthly(), t.creditsMonthly(), t.features(),
                    new ApiCallLimit(t.apiCallLimit(), t.apiCallPeriod().wireName()));
        }
    }
    record SwitchRequest(@Schema(requiredMode = REQUIRED) String userId,
                         @Schema(requiredMode = REQUIRED) String newTier) {
    }

    @GetMapping("/compare")
    @Operation(summary = "The tier catalogue, in order (public)")
    List<TierView> compare() {
        return tiers.catalogue().stream().map(TierView::of).toList();
    }

    @PostMapping("/switch")
    @Operation(summary = "Move a user to another tier (admin, service): the unused allowance expires, the new "
            + "allowance is granted and a new period starts now; the same tier is a no-op")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = CreditBalance.class)))
    @ApiResponse(responseCode = "422", description = "Invalid tier")
    ResponseEntity<Object> switchTier(Caller caller,
                                      @RequestHeader(name = IdempotentRequests.HEADER, required = false) String key,
                                      @RequestBody(required = false) SwitchRequest body) {
        IdempotentRequests.checkKey(key);
        if (body == null) {
            throw ApiException.invalid("body", "is required");
        }
        new Validation().text(body.userId(), "user_id").text(body.newTier(), "new_tier").throwIfInvalid();
        if (tiers.catalogue().stream().noneMatch(tier -> tier.name().equals(body.newTier()))) {
            throw new ApiException(HttpStatus.UNPROCESSABLE_CONTENT, "Invalid tier");
        }
        return idempotency.run(caller.actor(), key, "tiers.switch", body, () -> switch (
                tiers.switchTier(body.userId(), body.newTier(), caller.actor())) {
            case TierService.SwitchResult.Switched s -> Reply.ok(CreditBalance.of(s.account(), quotas.apiCalls(s.account())));
            case TierService.SwitchResult.Unchanged u -> Reply.ok(CreditBalance.of(u.account(), quotas.apiCalls(u.account())));
            case TierService.SwitchResult.UnknownTier u -> Reply.problem(HttpStatus.UNPROCESSABLE_CONTENT, "Invalid tier");
        });
    }
}
