package dev.creditmeter.audit;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

import dev.creditmeter.web.Validation;

@RestController
@Tag(name = "Admin")
class AuditController {

    private final AuditLog audit;

    AuditController(AuditLog audit) {
        this.audit = audit;
    }

    @GetMapping("/api/v1/credits/admin/audit")
    @Operation(summary = "Audit log, newest first (admin)")
    List<AuditLog.Entry> audit(@RequestParam(name = "user_id", required = false) String userId,
                               @RequestParam(required = false) String action,
                               @RequestParam(defaultValue = "50") int limit,
                               @RequestParam(defaultValue = "0") int offset) {
        new Validation()
                .require(limit >= 1 && limit <= 500, "limit", "must be between 1 and 500")
                .require(offset >= 0, "offset", "must be 0 or more")
                .throwIfInvalid();
        return audit.list(userId, action, limit, offset);
    }
}
