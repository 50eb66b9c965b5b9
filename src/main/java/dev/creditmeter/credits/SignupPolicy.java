package dev.creditmeter.credits;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

/**
 * What a new account starts with: the sign-up tier and its allowance for one calendar month.
 *
 * @param tier      the tier of a new account
 * @param allowance its first period's allowance, in credits; when not configured, the tier catalogue's
 *                  allowance for the tier (see {@link TierRules}), else 5
 */
@ConfigurationProperties("creditmeter.signup")
record SignupPolicy(String tier, Money allowance) {

    static final Money FALLBACK_ALLOWANCE = Money.ofCredits(5);

    SignupPolicy {
        tier = tier == null ? "trial" : tier;
    }

    /** This policy with its allowance settled: the configured one, else the tier's, else the fallback. */
    SignupPolicy resolved(TierRules tiers) {
        if (allowance != null) {
            return this;
        }
        Money fromTier = tiers == null ? null : tiers.allowance(tier).orElse(null);
        return new SignupPolicy(tier, fromTier != null ? fromTier : FALLBACK_ALLOWANCE);
    }

    String source() {
        return tier + "_signup";
    }

    Instant resetDate(Instant now) {
        return now.atOffset(ZoneOffset.UTC).plusMonths(1).toInstant();
    }

    Map<String, Object> ledgerMetadata() {
        return Map.of("tier", tier, "reason", "initial_allocation", "source", source());
    }
}
