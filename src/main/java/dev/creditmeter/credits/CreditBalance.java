package dev.creditmeter.credits;

import java.time.Instant;

/** The contract's CreditBalance. */
record CreditBalance(String userId, Money balance, Money available, Money held, Money allocatedMonthly,
                     Money allowanceRemaining, Money bonusCredits, Money freeTierUsed, String tier,
                     Instant resetDate, Instant lastUpdated, Instant createdAt) {

    static CreditBalance of(Account a) {
        return new CreditBalance(a.userId(), a.balance(), a.available(), a.held(), a.allocatedMonthly(),
                a.allowance(), a.bonus(), a.freeTierUsed(), a.tier(), a.resetDate(), a.updatedAt(), a.createdAt());
    }
}
