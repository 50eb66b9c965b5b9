package dev.creditmeter.events;

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
 * Deletes events older than {@code creditmeter.events.retention} (90 days by default) with their deliveries,
 * in batches, one node at a time ({@link BatchedDeletes}). Each account keeps its latest event whatever its
 * age: the next one's sequence continues from it, so a consumer never sees an account's sequence start again.
 */
@Component
class EventRetention {

    private static final Logger log = LoggerFactory.getLogger(EventRetention.class);
    private static final long LOCK_ID = 0x6576656e74726574L; // "eventret"
    private static final int BATCH = 5_000;

    private final JdbcClient jdbc;
    private final BatchedDeletes deletes;
    private final Clock clock;
    private final Duration retention;

    EventRetention(JdbcClient jdbc, BatchedDeletes deletes, Clock clock,
                   @Value("${creditmeter.events.retention:90d}") Duration retention) {
        this.jdbc = jdbc;
        this.deletes = deletes;
        this.clock = clock;
        this.retention = retention;
    }

    /** @return how many events were deleted */
    @Scheduled(fixedDelayString = "${creditmeter.events.retention-interval:1h}", initialDelayString = "7m")
    long deleteExpiredEvents() {
        Instant cutoff = clock.instant().minus(retention);
        long total = deletes.deleteInBatches(LOCK_ID, BATCH, batch -> jdbc.sql("""
                        delete from account_events where position in (
                            select e.position from account_events e
                            where e.created_at < :cutoff
                              and (e.user_id is null or exists (select 1 from account_events n
                                                                where n.user_id = e.user_id
                                                                  and n.sequence > e.sequence))
                            order by e.created_at
                            limit :batch)
                        """)
                .param("cutoff", Timestamp.from(cutoff)).param("batch", batch).update());
        if (total > 0) {
            log.info("Deleted {} account events older than {}", total, cutoff);
        }
        return total;
    }
}
