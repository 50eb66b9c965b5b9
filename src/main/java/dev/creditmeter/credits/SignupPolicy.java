package dev.creditmeter.credits;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

/**
 * What a new account starts with: the trial tier and its allowance for one calendar month.
 *
 * @param tier      the tier of a new account
 * @param allowance its first period's allowance, in credits
 */
@ConfigurationProperties("creditmeter.signup")
record SignupPolicy(String tier, Money allowance) {

    SignupPolicy {
        tier = tier == null ? "trial" : tier;
        allowance = allowance == null ? Money.ofCredits(5) : allowance;
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
