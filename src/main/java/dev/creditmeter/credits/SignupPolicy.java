package dev.creditmeter.credits;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Objects;

/**
 * What a new account starts with: the sign-up tier and its allowance for one calendar month. The money
 * core does not know tiers; the tiers feature decides this value once, at start-up, and hands it over
 * as a bean, so that every account is provisioned the same way from the first request on.
 */
public record SignupPolicy(String tier, Money allowance) {

    public SignupPolicy {
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(allowance, "allowance");
        if (allowance.micros() < 0) {
            throw new IllegalArgumentException("A sign-up allowance cannot be negative");
        }
    }

    public String source() {
        return tier + "_signup";
    }

    public Instant resetDate(Instant now) {
        return now.atOffset(ZoneOffset.UTC).plusMonths(1).toInstant();
    }

    public Map<String, Object> ledgerMetadata() {
        return Map.of("tier", tier, "reason", "initial_allocation", "source", source());
    }
}
