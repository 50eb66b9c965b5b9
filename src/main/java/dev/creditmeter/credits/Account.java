package dev.creditmeter.credits;

import java.time.Instant;

/** A user's credit account as stored. balance = allowance + bonus; available = balance - held. */
public record Account(String userId, String tier, Money allowance, Money bonus, Money held,
                      Money allocatedMonthly, Money freeTierUsed, Instant periodStart, Instant resetDate,
                      Instant createdAt, Instant updatedAt) {

    public Money balance() {
        return allowance.plus(bonus);
    }

    public Money available() {
        return balance().minus(held);
    }
}
