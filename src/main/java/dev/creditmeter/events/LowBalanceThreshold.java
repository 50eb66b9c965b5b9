package dev.creditmeter.events;

import dev.creditmeter.credits.Money;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The low-balance threshold rule, as the database's trigger {@code credit_accounts_raise_events} applies it (this
 * class answers what the trigger does, for {@code GET /alerts/thresholds}): the account's own amount or share of
 * its monthly allowance replaces the platform's; of the platform's, an amount wins over a share; none is 0,
 * which never fires balance.low.
 *
 * @param amount null unless the threshold is an amount
 * @param share  null unless the threshold is a share of the monthly allowance
 */
record LowBalanceThreshold(Source source, Money amount, BigDecimal share) {

    enum Source { ACCOUNT, PLATFORM, NONE }

    static LowBalanceThreshold of(Long accountMicros, Integer accountBasisPoints, AlertProperties platform) {
        if (accountMicros != null) {
            return new LowBalanceThreshold(Source.ACCOUNT, Money.ofMicros(accountMicros), null);
        }
        if (accountBasisPoints != null) {
            return new LowBalanceThreshold(Source.ACCOUNT, null, BigDecimal.valueOf(accountBasisPoints, 4).stripTrailingZeros());
        }
        if (platform.lowBalance() != null) {
            return new LowBalanceThreshold(Source.PLATFORM, Money.parse(platform.lowBalance().toPlainString()), null);
        }
        if (platform.lowBalanceShare() != null) {
            return new LowBalanceThreshold(Source.PLATFORM, null, platform.lowBalanceShare());
        }
        return new LowBalanceThreshold(Source.NONE, Money.ZERO, null);
    }

    /** The threshold in credits for an account with this monthly allowance (a share rounds down to the micro). */
    Money amountFor(Money monthlyAllowance) {
        if (amount != null) {
            return amount;
        }
        return Money.ofMicros(BigDecimal.valueOf(monthlyAllowance.micros()).multiply(share)
                .setScale(0, RoundingMode.FLOOR).longValueExact());
    }

    /** A share as the account's column stores it, in basis points (0.2 is 2000); null when it has more digits. */
    static Integer basisPoints(BigDecimal share) {
        try {
            return share.movePointRight(4).intValueExact();
        } catch (ArithmeticException e) {
            return null;
        }
    }
}
