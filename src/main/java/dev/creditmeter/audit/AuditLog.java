package dev.creditmeter.audit;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Appends audit entries and reads them back. {@link #record} joins the caller's transaction, so an
 * entry exists exactly when the action it describes was committed.
 */
@Service
public class AuditLog {

    private final JdbcClient jdbc;
    private final JsonMapper json;

    AuditLog(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    public void record(String actor, String action, String targetUserId, String target, String outcome,
                       Map<String, ?> details) {
        jdbc.sql("""
                        insert into audit_log (actor, action, target_user_id, target, outcome, details)
                        values (:actor, :action, :targetUserId, :target, :outcome, cast(:details as jsonb))
                        """)
                .param("actor", actor)
                .param("action", action)
                .param("targetUserId", targetUserId)
                .param("target", target)
                .param("outcome", outcome)
                .param("details", json.writeValueAsString(details))
                .update();
    }

    List<Entry> list(String userId, String action, int limit, int offset) {
        return jdbc.sql("""
                        select id, at, actor, action, target_user_id, target, outcome, details::text as details
                        from audit_log
                        where (cast(:userId as text) is null or target_user_id = :userId)
                          and (cast(:action as text) is null or action = :action)
                        order by id desc
                        limit :limit offset :offset
                        """)
                .param("userId", userId)
                .param("action", action)
                .param("limit", limit)
                .param("offset", offset)
                .query((rs, n) -> new Entry(rs.getLong("id"), rs.getTimestamp("at").toInstant(), rs.getString("actor"),
                        rs.getString("action"), rs.getString("target_user_id"), rs.getString("target"),
                        rs.getString("outcome"), json.readTree(rs.getString("details"))))
                .list();
    }

    record Entry(long id, Instant at, String actor, String action, String targetUserId, String target,
                 String outcome, JsonNode details) {
    }
}
