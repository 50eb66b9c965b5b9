package dev.creditmeter.tiers;

import dev.creditmeter.credits.Money;
import org.springframework.boot.context.properties.ConfigurationProperties;

import java.util.List;

/**
 * {@code creditmeter.tiers.*}: the catalogue (in the order the comparison shows it) and the rollover policy.
 * Without a configured catalogue the contract's four tiers apply.
 *
 * @param catalogue the tiers, replacing the defaults as a whole when given
 * @param rollover  what happens to unused allowance at renewal: {@code none} expires it, {@code full} keeps it
 */
@ConfigurationProperties("creditmeter.tiers")
record TierProperties(List<Tier> catalogue, Rollover rollover) {

    enum Rollover {
        NONE, FULL
    }

    TierProperties {
        catalogue = catalogue == null || catalogue.isEmpty() ? DEFAULTS : List.copyOf(catalogue);
        rollover = rollover == null ? Rollover.NONE : rollover;
    }

    static final List<Tier> DEFAULTS = List.of(
            new Tier("trial", Money.ofCredits(4), Money.ofCredits(5),
                    List.of("100 API calls per day", "Open-WebUI access", "Basic AI models", "Community support"),
                    100L, Tier.CallPeriod.DAY),
            new Tier("starter", Money.ofCredits(19), Money.ofCredits(20),
                    List.of("1,000 API calls per month", "Open-WebUI + Center-Deep", "All AI models", "BYOK support",
                            "Email support"),
                    1_000L, Tier.CallPeriod.MONTH),
            new Tier("professional", Money.ofCredits(49), Money.ofCredits(60),
                    List.of("10,000 API calls per month", "All services (Chat, Search, TTS, STT)",
                            "Billing dashboard access", "Priority support", "BYOK support"),
                    10_000L, Tier.CallPeriod.MONTH),
            new Tier("enterprise", Money.ofCredits(99), Money.parse("999999.99"),
                    List.of("Unlimited API calls", "Team management (5 seats)", "Custom integrations",
                            "24/7 dedicated support", "White-label options"),
                    null, Tier.CallPeriod.MONTH));
}
