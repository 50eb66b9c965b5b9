package dev.creditmeter.events;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/** The account_events table: read here, written by the database (V14) and by {@link #record} for the platform's. */
@Repository
class AccountEvents {

    static final String COLUMNS = "e.id, e.type, e.user_id, e.sequence, e.created_at, e.data::text as data";

    private final JdbcClient jdbc;

    AccountEvents(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Events with an id above {@code after}, oldest first. Ids are given in commit order, so a reader that
     * continues after the last id it saw misses none.
     *
     * @param userId null for every account's and the platform's
     * @param type   null for every type
     */
    List<AccountEvent> after(long after, int limit, String type, String userId) {
        return jdbc.sql("""
                        select %s from account_events e
                        where e.id > :after
                          and (cast(:type as text) is null or e.type = :type)
                          and (cast(:userId as text) is null or e.user_id = :userId)
                        order by e.id
                        limit :limit
                        """.formatted(COLUMNS))
                .param("after", after).param("type", type).param("userId", userId).param("limit", limit)
                .query(AccountEvents::row).list();
    }

    /** Writes a platform event and returns its position; it gets its id, and its deliveries, at commit. */
    long record(EventType type, String dataJson) {
        return jdbc.sql("select record_account_event(null, :type, cast(:data as jsonb))")
                .param("type", type.wireName()).param("data", dataJson).query(Long.class).single();
    }

    /** The event written at a position, once its transaction has committed. */
    Optional<AccountEvent> atPosition(long position) {
        return jdbc.sql("select " + COLUMNS + " from account_events e where e.position = :position and e.id is not null")
                .param("position", position).query(AccountEvents::row).optional();
    }

    /** How many events have been written, for the metric (ids count them, as each gets the next one). */
    long written() {
        return jdbc.sql("select last from account_event_ids").query(Long.class).single();
    }

    static AccountEvent row(ResultSet rs, int n) throws SQLException {
        return new AccountEvent(rs.getLong("id"), rs.getString("type"), rs.getString("user_id"),
                rs.getLong("sequence"), rs.getObject("created_at", OffsetDateTime.class).toInstant(),
                rs.getString("data"));
    }
}
