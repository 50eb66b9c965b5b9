package dev.creditmeter.tiers;

import dev.creditmeter.credits.Account;
import dev.creditmeter.credits.ApiCalls;
import dev.creditmeter.credits.CreditService;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The facade of call quotas: every charged usage event counts one call in the user's current window
 * ({@link #countCall}), and admission (holds, the gateway) asks {@link #admit} first. The window is the
 * UTC day for a daily tier, and the account's allowance period (period_start to reset_date) for a monthly
 * one, so a monthly quota renews together with the allowance.
 * <p>
 * Admission is a check, not a reservation: calls admitted at the same moment may together pass the limit
 * by the number admitted concurrently; every one of them is still counted when charged.
 */
@Service
public class CallQuotas {

    private final TierCatalogue catalogue;
    private final ApiCallCounts counts;
    private final CreditService credits;
    private final Clock clock;

    CallQuotas(TierCatalogue catalogue, ApiCallCounts counts, CreditService credits, Clock clock) {
        this.catalogue = catalogue;
        this.counts = counts;
        this.credits = credits;
        this.clock = clock;
    }

    /**
     * The quota of one window.
     *
     * @param limit null when unlimited
     */
    public record Quota(long used, Long limit, Tier.CallPeriod period, Instant resetsAt) {

        public boolean exhausted() {
            return limit != null && used >= limit;
        }

        /** Calls left in the window, or null when unlimited. */
        public Long remaining() {
            return limit == null ? null : Math.max(0, limit - used);
        }

        /** Whole seconds until the window resets, at least 1. */
        public long retryAfterSeconds(Instant now) {
            return Math.max(1, (long) Math.ceil(Duration.between(now, resetsAt).toMillis() / 1000.0));
        }

        ApiCalls view() {
            return new ApiCalls(used, limit, period.wireName(), resetsAt);
        }
    }

    public sealed interface Admission {
        Quota quota();

        record Admitted(Quota quota) implements Admission {
        }

        record Exceeded(Quota quota) implements Admission {
        }
    }

    /**
     * Whether the user (provisioned first, like every charge path) may make one more call now. Two statements,
     * the account (created if need be) and its count, in the caller's transaction if there is one; alone they
     * need none, since admission reserves nothing.
     */
    public Admission admit(String userId) {
        Account account = credits.balance(userId);
        Quota quota = quota(account, clock.instant());
        return quota.exhausted() ? new Admission.Exceeded(quota) : new Admission.Admitted(quota);
    }

    /** Counts one charged call for the account, in the transaction that charged it. */
    @Transactional(propagation = Propagation.MANDATORY)
    public void countCall(Account account) {
        counts.increment(account.userId(), window(account, clock.instant()).start());
    }

    /** The quota as of now, without changing anything. */
    public Quota quota(Account account) {
        return quota(account, clock.instant());
    }

    /** The account's call quota as a balance shows it. */
    public ApiCalls apiCalls(Account account) {
        return quota(account).view();
    }

    private Quota quota(Account account, Instant now) {
        Window window = window(account, now);
        Long limit = catalogue.find(account.tier()).map(Tier::apiCallLimit).orElse(null);
        return new Quota(counts.calls(account.userId(), window.start()), limit, window.period(), window.end());
    }

    private record Window(Tier.CallPeriod period, Instant start, Instant end) {
    }

    private Window window(Account account, Instant now) {
        Tier.CallPeriod period = catalogue.find(account.tier()).map(Tier::apiCallPeriod).orElse(Tier.CallPeriod.MONTH);
        if (period == Tier.CallPeriod.DAY) {
            Instant start = now.truncatedTo(ChronoUnit.DAYS);
            return new Window(period, start, start.plus(1, ChronoUnit.DAYS));
        }
        return new Window(period, account.periodStart(), account.resetDate());
    }
}
