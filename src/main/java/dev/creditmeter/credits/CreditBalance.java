package dev.creditmeter.credits;

import java.time.Instant;

/** The contract's CreditBalance; {@code api_calls} is filled where the route shows the call quota. */
public record CreditBalance(String userId, Money balance, Money available, Money held, Money allocatedMonthly,
                            Money allowanceRemaining, Money bonusCredits, Money freeTierUsed, String tier,
                            Instant resetDate, Instant lastUpdated, Instant createdAt, ApiCalls apiCalls) {

    public static CreditBalance of(Account a) {
        return of(a, null);
    }

    public static CreditBalance of(Account a, ApiCalls apiCalls) {
        return new CreditBalance(a.userId(), a.balance(), a.available(), a.held(), a.allocatedMonthly(),
                a.allowance(), a.bonus(), a.freeTierUsed(), a.tier(), a.resetDate(), a.updatedAt(), a.createdAt(),
                apiCalls);
    }
}
