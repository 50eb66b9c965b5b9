package dev.creditmeter.tiers;

import dev.creditmeter.audit.AuditLog;
import dev.creditmeter.credits.Account;
import dev.creditmeter.credits.CreditService;
import dev.creditmeter.credits.NewPeriod;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/** The facade of tiers: the catalogue and tier switches. */
@Service
public class TierService {

    private final TierCatalogue catalogue;
    private final CreditService credits;
    private final AuditLog audit;
    private final Clock clock;

    TierService(TierCatalogue catalogue, CreditService credits, AuditLog audit, Clock clock) {
        this.catalogue = catalogue;
        this.credits = credits;
        this.audit = audit;
        this.clock = clock;
    }

    public List<Tier> catalogue() {
        return catalogue.all();
    }

    public sealed interface SwitchResult {
        record Switched(Account account) implements SwitchResult {
        }

        record Unchanged(Account account) implements SwitchResult {
        }

        record UnknownTier(String tier) implements SwitchResult {
        }
    }

    /**
     * Moves the user (provisioned first) to another tier in one transaction: the unused allowance expires,
     * the new tier's allowance is granted (repaying debt first) and a period of one calendar month starts
     * now. The same tier changes nothing.
     */
    @Transactional
    public SwitchResult switchTier(String userId, String newTier, String actor) {
        var tier = catalogue.find(newTier);
        if (tier.isEmpty()) {
            return new SwitchResult.UnknownTier(newTier);
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        var period = RenewalDates.startingAt(now);
        SwitchResult result = switch (credits.switchTier(userId, new NewPeriod(newTier, tier.get().creditsMonthly(),
                false, period.start(), period.resetDate(), "tier_switch"))) {
            case CreditService.SwitchTierResult.Switched s -> new SwitchResult.Switched(s.account());
            case CreditService.SwitchTierResult.SameTier s -> new SwitchResult.Unchanged(s.account());
        };
        audit.record(actor, "tier.switch", userId, newTier,
                result instanceof SwitchResult.Switched ? "success" : "unchanged", Map.of("new_tier", newTier));
        return result;
    }
}
