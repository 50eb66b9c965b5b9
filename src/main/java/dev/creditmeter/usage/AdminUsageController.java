package dev.creditmeter.usage;

import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Usage seen from the platform: what could not be priced (charged nothing; admins find it here and add the
 * missing prices) and the totals over a window (events, credits charged, markup earned, top users and models).
 */
@RestController
@Tag(name = "Admin")
class AdminUsageController {

    private final UsageEvents events;
    private final Clock clock;

    AdminUsageController(UsageEvents events, Clock clock) {
        this.events = events;
        this.clock = clock;
    }

    @GetMapping("/api/v1/credits/admin/usage/unpriced")
    @Operation(summary = "Models used without a price over the last `days` days, most events first (admin)")
    List<UsageEvents.Unpriced> unpriced(@RequestParam(defaultValue = "30") int days) {
        new Validation().require(days >= 1 && days <= 366, "days", "must be between 1 and 366").throwIfInvalid();
        return events.unpricedSince(clock.instant().minus(days, ChronoUnit.DAYS));
    }

    @GetMapping("/api/v1/credits/admin/usage/totals")
    @Operation(summary = "Events, credits charged and markup earned over the last `days` days, with the ten users "
            + "and models charged most (admin)")
    UsageEvents.PlatformTotals totals(@RequestParam(defaultValue = "30") int days) {
        new Validation().require(days >= 1 && days <= 366, "days", "must be between 1 and 366").throwIfInvalid();
        return events.totalsSince(clock.instant().minus(days, ChronoUnit.DAYS));
    }
}
