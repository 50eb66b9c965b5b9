package dev.creditmeter.events;

import dev.creditmeter.credits.CreditService;
import dev.creditmeter.credits.Money;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;

/** The facade of account events for clients: their thresholds, and the events to poll. */
@Service
class Alerts {

    private final Thresholds thresholds;
    private final AccountEvents events;
    private final CreditService credits;
    private final AlertProperties properties;

    Alerts(Thresholds thresholds, AccountEvents events, CreditService credits, AlertProperties properties) {
        this.thresholds = thresholds;
        this.events = events;
        this.credits = credits;
        this.properties = properties;
    }

    /**
     * An account's thresholds as they apply now.
     *
     * @param lowBalance      the low-balance threshold in credits for the account's current monthly allowance
     * @param lowBalanceShare the share of the monthly allowance it was set as, or null for an amount
     * @param source          account, platform or none
     * @param state           none, low (balance.low sent, not recovered since) or depleted
     */
    record View(String userId, Money lowBalance, BigDecimal lowBalanceShare, String source,
                BigDecimal quotaWarningShare, String state) {
    }

    /** What to set: an amount, a share, or neither (the platform's threshold again). */
    sealed interface NewThreshold {
        record Amount(Money amount) implements NewThreshold {
        }

        record Share(int basisPoints) implements NewThreshold {
        }

        record PlatformDefault() implements NewThreshold {
        }
    }

    /** The account's thresholds; an unknown user is provisioned first, as every route that names a user does. */
    View thresholds(String userId) {
        credits.balance(userId);
        return view(thresholds.find(userId).orElseThrow());
    }

    @Transactional
    View setThreshold(String userId, NewThreshold threshold) {
        credits.balance(userId);
        var row = switch (threshold) {
            case NewThreshold.Amount a -> thresholds.set(userId, a.amount().micros(), null);
            case NewThreshold.Share s -> thresholds.set(userId, null, s.basisPoints());
            case NewThreshold.PlatformDefault p -> thresholds.set(userId, null, null);
        };
        return view(row.orElseThrow());
    }

    List<AccountEvent> events(long after, int limit, String type, String userId) {
        return events.after(after, limit, type, userId);
    }

    private View view(Thresholds.Row row) {
        var threshold = LowBalanceThreshold.of(row.lowBalanceMicros(), row.lowBalanceBasisPoints(), properties);
        return new View(row.userId(), row.threshold(), threshold.share(),
                threshold.source().name().toLowerCase(Locale.ROOT), properties.quotaWarningShare(),
                row.balanceAlert());
    }
}
