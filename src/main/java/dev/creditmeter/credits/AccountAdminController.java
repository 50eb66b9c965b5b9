package dev.creditmeter.credits;

import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

@RestController
@Tag(name = "Admin")
class AccountAdminController {

    private final CreditService credits;

    AccountAdminController(CreditService credits) {
        this.credits = credits;
    }

    @GetMapping("/api/v1/credits/admin/accounts")
    @Operation(summary = "Accounts whose user id contains `search`, by user id; X-Total-Count counts them (admin)")
    ResponseEntity<List<CreditBalance>> accounts(@RequestParam(required = false) String search,
                                                 @RequestParam(defaultValue = "50") int limit,
                                                 @RequestParam(defaultValue = "0") int offset) {
        new Validation()
                .optionalText(search, "search")
                .require(limit >= 1 && limit <= 500, "limit", "must be between 1 and 500")
                .require(offset >= 0, "offset", "must be 0 or more")
                .throwIfInvalid();
        var page = credits.accounts(search, limit, offset);
        return ResponseEntity.ok().header("X-Total-Count", Long.toString(page.total()))
                .body(page.rows().stream().map(CreditBalance::of).toList());
    }
}
