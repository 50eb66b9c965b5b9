package dev.creditmeter.usage;

import dev.creditmeter.jobs.BatchedDeletes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Deletes raw usage events older than the retention window (90 days by default); the hourly rollups,
 * and so the summaries of whole hours, stay; in batches, one node at a time ({@link BatchedDeletes}).
 */
@Component
class UsageRetention {

    private static final Logger log = LoggerFactory.getLogger(UsageRetention.class);
    private static final long LOCK_ID = 0x7573616765726574L; // "usageret"
    private static final int BATCH = 10_000;

    private final JdbcClient jdbc;
    private final BatchedDeletes deletes;
    private final Clock clock;
    private final Duration retention;

    UsageRetention(JdbcClient jdbc, BatchedDeletes deletes, Clock clock,
                   @Value("${creditmeter.usage.retention:90d}") Duration retention) {
        this.jdbc = jdbc;
        this.deletes = deletes;
        this.clock = clock;
        this.retention = retention;
    }

    /** @return how many events were deleted */
    @Scheduled(fixedDelayString = "${creditmeter.usage.retention-interval:1h}", initialDelayString = "5m")
    long deleteExpiredEvents() {
        Instant cutoff = clock.instant().minus(retention);
        long total = deletes.deleteInBatches(LOCK_ID, BATCH, batch -> jdbc.sql("""
                        delete from usage_events where id in (
                            select id from usage_events where created_at < :cutoff order by created_at limit :batch)
                        """)
                .param("cutoff", Timestamp.from(cutoff)).param("batch", batch).update());
        if (total > 0) {
            log.info("Deleted {} usage events older than {}", total, cutoff);
        }
        return total;
    }
}
