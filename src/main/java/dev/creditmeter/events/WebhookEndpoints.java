package dev.creditmeter.events;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.SqlArrayValue;
import org.springframework.stereotype.Repository;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The webhook_endpoints table. */
@Repository
class WebhookEndpoints {

    static final int MAX_ENDPOINTS = 100;
    private static final String COLUMNS = "id, url, event_types, description, enabled, disabled_reason, created_at, "
            + "updated_at";

    private final JdbcClient jdbc;

    WebhookEndpoints(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    WebhookEndpoint create(String url, List<String> eventTypes, String description, String secret) {
        return jdbc.sql("""
                        insert into webhook_endpoints (url, event_types, description, secret)
                        values (:url, :types, :description, :secret)
                        returning %s
                        """.formatted(COLUMNS))
                .param("url", url).param("types", new SqlArrayValue("text", eventTypes.toArray()))
                .param("description", description).param("secret", secret)
                .query(WebhookEndpoints::row).single();
    }

    long count() {
        return jdbc.sql("select count(*) from webhook_endpoints").query(Long.class).single();
    }

    List<WebhookEndpoint> list() {
        return jdbc.sql("select " + COLUMNS + " from webhook_endpoints order by id").query(WebhookEndpoints::row).list();
    }

    Optional<WebhookEndpoint> find(long id) {
        return jdbc.sql("select " + COLUMNS + " from webhook_endpoints where id = :id")
                .param("id", id).query(WebhookEndpoints::row).optional();
    }

    /** Changes what is given (null: unchanged); enabling clears the reason it was disabled for. */
    Optional<WebhookEndpoint> update(long id, String url, List<String> eventTypes, Boolean enabled) {
        return jdbc.sql("""
                        update webhook_endpoints
                        set url             = coalesce(:url, url),
                            event_types     = coalesce(:types, event_types),
                            enabled         = coalesce(:enabled, enabled),
                            disabled_reason = case when cast(:enabled as boolean) is null then disabled_reason end,
                            updated_at      = now()
                        where id = :id
                        returning %s
                        """.formatted(COLUMNS))
                .param("id", id).param("url", url)
                .param("types", eventTypes == null ? null : new SqlArrayValue("text", eventTypes.toArray()))
                .param("enabled", enabled)
                .query(WebhookEndpoints::row).optional();
    }

    boolean delete(long id) {
        return jdbc.sql("delete from webhook_endpoints where id = :id").param("id", id).update() == 1;
    }

    /** A new secret; the current one becomes the previous one and signs too until {@code previousUntil}. */
    Optional<Instant> rotate(long id, String secret, Instant previousUntil) {
        return jdbc.sql("""
                        update webhook_endpoints
                        set previous_secret = secret, previous_secret_expires_at = :until, secret = :secret,
                            updated_at = now()
                        where id = :id
                        returning previous_secret_expires_at
                        """)
                .param("id", id).param("secret", secret).param("until", Timestamp.from(previousUntil))
                .query((rs, n) -> rs.getObject(1, OffsetDateTime.class).toInstant()).optional();
    }

    /** Stops delivery to an enabled endpoint; false when it was disabled already. */
    boolean disable(long id, String reason) {
        return jdbc.sql("""
                        update webhook_endpoints set enabled = false, disabled_reason = :reason, updated_at = now()
                        where id = :id and enabled
                        """)
                .param("id", id).param("reason", reason).update() == 1;
    }

    private static WebhookEndpoint row(ResultSet rs, int n) throws SQLException {
        Array types = rs.getArray("event_types");
        return new WebhookEndpoint(rs.getLong("id"), rs.getString("url"),
                Arrays.asList((String[]) types.getArray()), rs.getString("description"), rs.getBoolean("enabled"),
                rs.getString("disabled_reason"), rs.getObject("created_at", OffsetDateTime.class).toInstant(),
                rs.getObject("updated_at", OffsetDateTime.class).toInstant());
    }
}
