package dev.creditmeter.credits;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;
import java.time.Instant;

/**
 * Expires open holds past their {@code expires_at}, giving their credits back to the available balance.
 * Safe on many nodes at once: each batch claims its holds with {@code FOR UPDATE SKIP LOCKED}, so nodes
 * share the work instead of waiting on each other, and a hold resolves once whoever gets there first.
 */
@Component
class HoldSweeper {

    static final int BATCH_SIZE = 200;
    /** Bounds one run; whatever is left waits for the next run. */
    static final int MAX_BATCHES_PER_RUN = 50;

    private static final Logger log = LoggerFactory.getLogger(HoldSweeper.class);

    private final Holds holds;
    private final TransactionTemplate transactions;
    private final Clock clock;

    HoldSweeper(Holds holds, TransactionTemplate transactions, Clock clock) {
        this.holds = holds;
        this.transactions = transactions;
        this.clock = clock;
    }

    @Scheduled(fixedDelayString = "${creditmeter.holds.sweep-interval:10s}",
            initialDelayString = "${creditmeter.holds.sweep-initial-delay:5s}")
    void sweep() {
        int expired = expireDue();
        if (expired > 0) {
            log.info("Expired {} holds", expired);
        }
    }

    /** Expires every due hold this node can claim, batch by batch; returns how many it expired. */
    int expireDue() {
        record Batch(int claimed, int expired) {
        }
        int total = 0;
        for (int run = 0; run < MAX_BATCHES_PER_RUN; run++) {
            Instant now = clock.instant();
            Batch batch = transactions.execute(status -> {
                var claimed = holds.claimExpired(now, BATCH_SIZE);
                int expired = 0;
                for (long id : claimed) {
                    if (holds.resolve(id, null, Hold.Status.EXPIRED, now).isPresent()) {
                        expired++;
                    }
                }
                return new Batch(claimed.size(), expired);
            });
            total += batch.expired();
            if (batch.claimed() < BATCH_SIZE) {
                break;
            }
        }
        return total;
    }
}
