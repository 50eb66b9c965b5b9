package dev.creditmeter.tiers;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.Timestamp;
import java.time.Instant;

/** The api_call_counts table: calls per user and quota window. */
@Repository
class ApiCallCounts {

    private final JdbcClient jdbc;

    ApiCallCounts(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    long calls(String userId, Instant windowStart) {
        return jdbc.sql("select calls from api_call_counts where user_id = :userId and window_start = :windowStart")
                .param("userId", userId).param("windowStart", Timestamp.from(windowStart))
                .query(Long.class).optional().orElse(0L);
    }

    /** Drops windows that started before {@code before}: no quota reads them any more. */
    int deleteBefore(Instant before) {
        return jdbc.sql("delete from api_call_counts where window_start < :before")
                .param("before", Timestamp.from(before)).update();
    }
}
