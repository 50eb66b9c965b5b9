package dev.creditmeter.tiers;

import dev.creditmeter.credits.Account;
import dev.creditmeter.credits.ApiCalls;
import dev.creditmeter.credits.CreditBalance;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The facade of call quotas: every charged usage event counts one call in the user's current window (the
 * charge itself writes the count, where {@link #windows} says), and admission (holds, the gateway) asks
 * {@link #admit} first. The window is the
 * UTC day for a daily tier, and the account's allowance period (period_start to reset_date) for a monthly
 * one, so a monthly quota renews together with the allowance.
 * <p>
 * Admission is a check, not a reservation: calls admitted at the same moment may together pass the limit
 * by the number admitted concurrently; every one of them is still counted when charged.
 */
@Service
public class CallQuotas {

    private final ApiCallCounts counts;
    private final Balances balances;
    private final Clock clock;
    /** The tiers whose window is the UTC day, for the statement of {@link #balance}. */
    private final String[] dailyTiers;
    /** The catalogue by name (the first of a name wins, as in {@link TierCatalogue#find}). */
    private final Map<String, Tier> tiers;

    /** Tiers with a call limit, and their limits, in the same order, for quota events in {@link #windows}. */
    private final List<String> limitedTiers;
    private final List<Long> limits;
    private final BigDecimal warningShare;

    CallQuotas(TierCatalogue catalogue, ApiCallCounts counts, Balances balances, Clock clock,
               @Value("${creditmeter.alerts.quota-warning-share:0.8}") BigDecimal warningShare) {
        this.counts = counts;
        this.balances = balances;
        this.clock = clock;
        this.tiers = catalogue.all().stream().collect(Collectors.toUnmodifiableMap(Tier::name, tier -> tier, (a, b) -> a));
        this.dailyTiers = tiers.values().stream().filter(tier -> tier.apiCallPeriod() == Tier.CallPeriod.DAY)
                .map(Tier::name).toArray(String[]::new);
        var limited = tiers.values().stream().filter(tier -> tier.apiCallLimit() != null).toList();
        this.limitedTiers = limited.stream().map(Tier::name).toList();
        this.limits = limited.stream().map(Tier::apiCallLimit).toList();
        this.warningShare = warningShare;
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
        Instant now = clock.instant();
        Balances.AccountCalls read = read(userId, now);
        Quota quota = quota(read.account(), now, read.calls());
        return quota.exhausted() ? new Admission.Exceeded(quota) : new Admission.Admitted(quota);
    }

    /**
     * Where a call charged at {@code now} counts: accounts of {@code dailyTiers} in the UTC day that starts at
     * {@code dayStart}, every other account in its allowance period (from its period_start). The charge also
     * writes quota.warning when a call reaches {@code warningShare} of its tier's limit ({@code limits}, for the
     * {@code limitedTiers} in the same order) and quota.exhausted when it reaches the limit.
     */
    public record Windows(List<String> dailyTiers, Instant dayStart, List<String> limitedTiers, List<Long> limits,
                          BigDecimal warningShare) {
    }

    public Windows windows(Instant now) {
        return new Windows(List.of(dailyTiers), now.truncatedTo(ChronoUnit.DAYS), limitedTiers, limits, warningShare);
    }

    /** The quota as of now, without changing anything. */
    public Quota quota(Account account) {
        return quota(account, clock.instant());
    }

    /** The account's call quota as a balance shows it. */
    public ApiCalls apiCalls(Account account) {
        return quota(account).view();
    }

    /**
     * The balance as clients see it: the account, created with the sign-up allowance on first use, with its
     * call quota, in one statement: one round trip, two on a user's first read ({@link Balances}).
     */
    CreditBalance balance(String userId) {
        Instant now = clock.instant();
        Balances.AccountCalls read = read(userId, now);
        return CreditBalance.of(read.account(), quota(read.account(), now, read.calls()).view());
    }

    /** The account, provisioned first, with its calls in the window that contains now (see {@link Balances#read}). */
    private Balances.AccountCalls read(String userId, Instant now) {
        Instant dayStart = now.truncatedTo(ChronoUnit.DAYS);
        return balances.read(userId, dailyTiers, dayStart)
                // A concurrent first request created the account after this statement's snapshot: read again.
                .or(() -> balances.read(userId, dailyTiers, dayStart))
                .orElseThrow();
    }

    private Quota quota(Account account, Instant now) {
        return quota(account, now, counts.calls(account.userId(), window(account, now).start()));
    }

    private Quota quota(Account account, Instant now, long calls) {
        Window window = window(account, now);
        Tier tier = tiers.get(account.tier());
        return new Quota(calls, tier == null ? null : tier.apiCallLimit(), window.period(), window.end());
    }

    private record Window(Tier.CallPeriod period, Instant start, Instant end) {
    }

    private Window window(Account account, Instant now) {
        Tier tier = tiers.get(account.tier());
        Tier.CallPeriod period = tier == null ? Tier.CallPeriod.MONTH : tier.apiCallPeriod();
        if (period == Tier.CallPeriod.DAY) {
            Instant start = now.truncatedTo(ChronoUnit.DAYS);
            return new Window(period, start, start.plus(1, ChronoUnit.DAYS));
        }
        return new Window(period, account.periodStart(), account.resetDate());
    }
}
