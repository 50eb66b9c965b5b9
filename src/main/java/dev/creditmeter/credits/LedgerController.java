package dev.creditmeter.credits;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@Tag(name = "Admin")
class LedgerController {

    private final CreditService credits;

    LedgerController(CreditService credits) {
        this.credits = credits;
    }

    @GetMapping("/api/v1/credits/admin/ledger/verify")
    @Operation(summary = "Check every account: stored balance = Σ ledger = last balance_after (admin)")
    CreditService.LedgerReport verify() {
        return credits.verifyLedger();
    }
}
