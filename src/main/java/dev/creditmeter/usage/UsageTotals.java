package dev.creditmeter.usage;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Usage totals over a time window, exact to the microsecond yet cheap with millions of events: whole
 * hours come from usage_rollups, and only the partial hours at the window's two edges are read from
 * usage_events. Raw events older than the retention window are gone, so edges that old count as empty.
 */
@Repository
class UsageTotals {

    private final JdbcClient jdbc;

    UsageTotals(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Totals of one (service, model) pair; model is "" for events without one. Costs in micro-credits. */
    record Row(String service, String model, long events, long tokens, long costMicros, long freeEvents,
               long freeTokens) {
    }

    record DayRow(LocalDate date, String service, long events, long tokens, long costMicros) {
    }

    /** @param endExclusive the first instant after the window */
    List<Row> byServiceAndModel(String userId, Instant start, Instant endExclusive) {
        Window w = Window.of(start, endExclusive);
        return jdbc.sql("""
                        with source as (%s)
                        select service, model, sum(event_count) as events, sum(tokens) as tokens,
                               sum(total_cost_micros) as cost, sum(free_events) as free_events,
                               sum(free_tokens) as free_tokens
                        from source group by service, model
                        """.formatted(SOURCE))
                .params(w.params(userId))
                .query((rs, n) -> new Row(rs.getString("service"), rs.getString("model"), rs.getLong("events"),
                        rs.getLong("tokens"), rs.getLong("cost"), rs.getLong("free_events"), rs.getLong("free_tokens")))
                .list();
    }

    List<DayRow> byDayAndService(String userId, Instant start, Instant endExclusive) {
        Window w = Window.of(start, endExclusive);
        return jdbc.sql("""
                        with source as (%s)
                        select (date_trunc('day', at, 'UTC') at time zone 'UTC')::date as day, service,
                               sum(event_count) as events, sum(tokens) as tokens, sum(total_cost_micros) as cost
                        from source group by 1, service order by 1, service
                        """.formatted(SOURCE))
                .params(w.params(userId))
                .query((rs, n) -> new DayRow(rs.getObject("day", LocalDate.class), rs.getString("service"),
                        rs.getLong("events"), rs.getLong("tokens"), rs.getLong("cost")))
                .list();
    }

    private static final String SOURCE = """
            select hour as at, service, model, event_count, tokens, total_cost_micros, free_events, free_tokens
            from usage_rollups
            where user_id = :userId and hour >= :wholeFrom and hour < :wholeTo
            union all
            select created_at, service, coalesce(model, ''), 1, tokens_used, total_cost_micros,
                   case when is_free_tier then 1 else 0 end, case when is_free_tier then tokens_used else 0 end
            from usage_events
            where user_id = :userId
              and ((created_at >= :start and created_at < :wholeFrom) or (created_at >= :wholeTo and created_at < :end))
            """;

    /** [start, wholeFrom) and [wholeTo, end) from raw events, [wholeFrom, wholeTo) from hourly rollups. */
    private record Window(Instant start, Instant wholeFrom, Instant wholeTo, Instant end) {
        static Window of(Instant start, Instant end) {
            Instant firstWholeHour = start.truncatedTo(ChronoUnit.HOURS);
            if (firstWholeHour.isBefore(start)) {
                firstWholeHour = firstWholeHour.plus(1, ChronoUnit.HOURS);
            }
            Instant lastWholeHourEnd = end.truncatedTo(ChronoUnit.HOURS);
            if (!firstWholeHour.isBefore(lastWholeHourEnd)) {
                return new Window(start, end, end, end); // no whole hour inside: all from raw events
            }
            return new Window(start, firstWholeHour, lastWholeHourEnd, end);
        }

        java.util.Map<String, Object> params(String userId) {
            return java.util.Map.of("userId", userId, "start", Timestamp.from(start),
                    "wholeFrom", Timestamp.from(wholeFrom), "wholeTo", Timestamp.from(wholeTo), "end", Timestamp.from(end));
        }
    }
}
