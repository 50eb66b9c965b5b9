package dev.creditmeter.usage;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;

/** Streams a user's raw usage events as CSV, oldest first, without holding them all in memory. */
@Repository
class UsageExport {

    static final String HEADER = "id,created_at,event_id,service,model,tokens_used,input_tokens,output_tokens,"
            + "provider_cost,platform_markup,total_cost,is_free_tier,is_byok,pricing";

    private final JdbcClient jdbc;

    UsageExport(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void write(String userId, Instant start, Instant endExclusive, Writer out) {
        try {
            out.write(HEADER + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        jdbc.sql("""
                        select id, created_at, event_id, service, model, tokens_used, input_tokens, output_tokens,
                               provider_cost_micros, platform_markup_micros, total_cost_micros, is_free_tier, is_byok, pricing
                        from usage_events
                        where user_id = :userId and created_at >= :start and created_at < :end
                        order by created_at, id
                        """)
                .param("userId", userId).param("start", Timestamp.from(start)).param("end", Timestamp.from(endExclusive))
                .query(rs -> {
                    String line = String.join(",",
                            Long.toString(rs.getLong("id")),
                            rs.getObject("created_at", OffsetDateTime.class).toInstant().toString(),
                            field(rs.getString("event_id")), field(rs.getString("service")), field(rs.getString("model")),
                            Long.toString(rs.getLong("tokens_used")), number(rs.getObject("input_tokens", Long.class)),
                            number(rs.getObject("output_tokens", Long.class)), credits(rs.getLong("provider_cost_micros")),
                            credits(rs.getLong("platform_markup_micros")), credits(rs.getLong("total_cost_micros")),
                            Boolean.toString(rs.getBoolean("is_free_tier")), Boolean.toString(rs.getBoolean("is_byok")),
                            rs.getString("pricing"));
                    try {
                        out.write(line + "\n");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }

    /** RFC 4180 quoting; a leading =, +, - or @ is prefixed with ' so spreadsheets do not run it as a formula. */
    static String field(String value) {
        if (value == null) {
            return "";
        }
        String safe = !value.isEmpty() && "=+-@".indexOf(value.charAt(0)) >= 0 ? "'" + value : value;
        if (safe.contains(",") || safe.contains("\"") || safe.contains("\n") || safe.contains("\r")) {
            return "\"" + safe.replace("\"", "\"\"") + "\"";
        }
        return safe;
    }

    private static String number(Long value) {
        return value == null ? "" : value.toString();
    }

    private static String credits(long micros) {
        return BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString();
    }
}
