package dev.creditmeter.credits;

import java.time.Instant;

/**
 * A new allowance period for an account (a tier switch or a monthly renewal).
 *
 * @param tier                 the tier of the new period
 * @param allowance            the allowance granted for it; debt is repaid from it first
 * @param keepUnusedAllowance  true to add the allowance on top of what is left (rollover {@code full});
 *                             false to expire what is left first
 * @param reason               why, for the ledger metadata ({@code tier_switch}, {@code renewal})
 */
public record NewPeriod(String tier, Money allowance, boolean keepUnusedAllowance, Instant start, Instant resetDate,
                        String reason) {
}
