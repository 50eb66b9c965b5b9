package dev.creditmeter.tiers;

import dev.creditmeter.credits.Account;
import dev.creditmeter.credits.CreditBalance;
import dev.creditmeter.credits.CreditService;
import dev.creditmeter.identity.Caller;
import dev.creditmeter.web.ApiException;
import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The balance as clients see it: the account from credits with the call quota from tiers. It lives here,
 * not in credits, because credits depends on no other feature; tiers may read both.
 */
@RestController
class BalanceController {

    private final CreditService credits;
    private final CallQuotas quotas;

    BalanceController(CreditService credits, CallQuotas quotas) {
        this.credits = credits;
        this.quotas = quotas;
    }

    @GetMapping("/api/v1/credits/balance")
    @Tag(name = "Credits")
    @Operation(summary = "The caller's balance (created with the trial allowance on first call) and call quota; "
            + "admins and services may name a user_id")
    CreditBalance balance(Caller caller, @RequestParam(name = "user_id", required = false) String userId) {
        String target = caller.target(userId);
        new Validation().optionalText(target, "user_id").throwIfInvalid();
        return quotas.balance(target);
    }

    @GetMapping("/api/v1/credits/admin/accounts/{userId}")
    @Tag(name = "Admin")
    @Operation(summary = "One user's account with its call quota, without opening one (admin)")
    CreditBalance account(@PathVariable String userId) {
        Account account = credits.findAccount(userId)
                .orElseThrow(() -> ApiException.notFound("User " + userId + " does not have a credit account"));
        return CreditBalance.of(account, quotas.apiCalls(account));
    }
}
