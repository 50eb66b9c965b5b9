package dev.creditmeter.tiers;

import dev.creditmeter.credits.Account;
import dev.creditmeter.credits.CreditService;
import dev.creditmeter.credits.Money;
import dev.creditmeter.credits.NewPeriod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Renews every account whose period has ended: the unused allowance expires (unless the rollover policy
 * is {@code full}), the tier's allowance is granted (repaying debt first), free_tier_used goes to 0 and
 * the period moves to the one containing now: ONE renewal however many months were missed. Safe on many
 * nodes at once: each batch claims its accounts with {@code FOR UPDATE SKIP LOCKED}, and the renewal
 * itself re-checks that the period is still due.
 */
@Component
class Renewals {

    static final int BATCH_SIZE = 100;
    /** Bounds one run; whatever is left waits for the next run. */
    static final int MAX_BATCHES_PER_RUN = 100;
    /** Call-count windows older than this are read by no quota any more. */
    static final int KEEP_CALL_COUNTS_DAYS = 400;

    private static final Logger log = LoggerFactory.getLogger(Renewals.class);

    private final CreditService credits;
    private final TierCatalogue catalogue;
    private final ApiCallCounts counts;
    private final TransactionTemplate transactions;
    private final Clock clock;

    Renewals(CreditService credits, TierCatalogue catalogue, ApiCallCounts counts, TransactionTemplate transactions,
             Clock clock) {
        this.credits = credits;
        this.catalogue = catalogue;
        this.counts = counts;
        this.transactions = transactions;
        this.clock = clock;
    }

    @Scheduled(fixedDelayString = "${creditmeter.tiers.renewal-interval:1m}",
            initialDelayString = "${creditmeter.tiers.renewal-initial-delay:20s}")
    void run() {
        Instant now = clock.instant();
        int renewed = renewDue(now, catalogue.rollover());
        if (renewed > 0) {
            log.info("Renewed {} accounts", renewed);
        }
        transactions.executeWithoutResult(status -> counts.deleteBefore(now.minus(KEEP_CALL_COUNTS_DAYS, ChronoUnit.DAYS)));
    }

    /** Renews every due account this node can claim, batch by batch; returns how many it renewed. */
    int renewDue(Instant now, TierProperties.Rollover rollover) {
        int total = 0;
        for (int run = 0; run < MAX_BATCHES_PER_RUN; run++) {
            record Batch(int claimed, int renewed) {
            }
            Batch batch = transactions.execute(status -> {
                var claimed = credits.claimDueRenewals(now, BATCH_SIZE);
                int renewed = 0;
                for (Account account : claimed) {
                    if (credits.renew(account.userId(), nextPeriod(account, now, rollover), now).isPresent()) {
                        renewed++;
                    }
                }
                return new Batch(claimed.size(), renewed);
            });
            total += batch.renewed();
            if (batch.claimed() < BATCH_SIZE) {
                break;
            }
        }
        return total;
    }

    private NewPeriod nextPeriod(Account account, Instant now, TierProperties.Rollover rollover) {
        // A tier no longer in the catalogue keeps the allowance it had.
        Money allowance = catalogue.find(account.tier()).map(Tier::creditsMonthly).orElse(account.allocatedMonthly());
        var period = RenewalDates.containing(account.periodStart(), account.resetDate(), now);
        return new NewPeriod(account.tier(), allowance, rollover == TierProperties.Rollover.FULL, period.start(),
                period.resetDate(), "renewal");
    }
}
