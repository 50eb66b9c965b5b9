package dev.creditmeter.events;

import java.math.BigDecimal;

/**
 * Where an account's low-balance threshold comes from, for {@code GET /alerts/thresholds}: the account's own amount
 * or share of its monthly allowance replaces the platform's; of the platform's, an amount wins over a share; none
 * means 0, which never fires balance.low. The amount itself is the database's {@code low_balance_threshold()}, the
 * function the account trigger uses (V16), so that what is shown is what fires.
 *
 * @param share null unless the threshold is a share of the monthly allowance
 */
record LowBalanceThreshold(Source source, BigDecimal share) {

    enum Source { ACCOUNT, PLATFORM, NONE }

    static LowBalanceThreshold of(Long accountMicros, Integer accountBasisPoints, AlertProperties platform) {
        if (accountMicros != null) {
            return new LowBalanceThreshold(Source.ACCOUNT, null);
        }
        if (accountBasisPoints != null) {
            return new LowBalanceThreshold(Source.ACCOUNT, BigDecimal.valueOf(accountBasisPoints, 4).stripTrailingZeros());
        }
        if (platform.lowBalance() != null) {
            return new LowBalanceThreshold(Source.PLATFORM, null);
        }
        if (platform.lowBalanceShare() != null) {
            return new LowBalanceThreshold(Source.PLATFORM, platform.lowBalanceShare());
        }
        return new LowBalanceThreshold(Source.NONE, null);
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
