package dev.creditmeter.identity;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The api_keys table. Secrets are never stored, only their SHA-256. */
@Repository
class ApiKeys {

    private final JdbcClient jdbc;

    ApiKeys(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    ApiKey insert(String prefix, byte[] hash, String userId, Role role, String label, String createdBy) {
        return jdbc.sql("""
                        insert into api_keys (prefix, key_hash, user_id, role, label, created_by)
                        values (:prefix, :hash, :userId, :role, :label, :createdBy)
                        returning id, prefix, user_id, role, label, created_at, revoked_at
                        """)
                .param("prefix", prefix).param("hash", hash).param("userId", userId)
                .param("role", role.wireName()).param("label", label).param("createdBy", createdBy)
                .query(ApiKeys::row).single();
    }

    Optional<Caller> findActive(byte[] hash) {
        return jdbc.sql("select user_id, role from api_keys where key_hash = :hash and revoked_at is null")
                .param("hash", hash)
                .query((rs, n) -> new Caller(rs.getString("user_id"), Role.fromWire(rs.getString("role"))))
                .optional();
    }

    List<ApiKey> list() {
        return jdbc.sql("select id, prefix, user_id, role, label, created_at, revoked_at from api_keys order by id desc")
                .query(ApiKeys::row).list();
    }

    Optional<ApiKey> revoke(long id) {
        return jdbc.sql("""
                        update api_keys set revoked_at = coalesce(revoked_at, now()) where id = :id
                        returning id, prefix, user_id, role, label, created_at, revoked_at
                        """)
                .param("id", id).query(ApiKeys::row).optional();
    }

    boolean any() {
        return jdbc.sql("select exists (select 1 from api_keys)").query(Boolean.class).single();
    }

    private static ApiKey row(java.sql.ResultSet rs, int n) throws java.sql.SQLException {
        var revoked = rs.getTimestamp("revoked_at");
        return new ApiKey(rs.getLong("id"), rs.getString("prefix"), rs.getString("user_id"),
                Role.fromWire(rs.getString("role")), rs.getString("label"), rs.getTimestamp("created_at").toInstant(),
                revoked == null ? null : revoked.toInstant());
    }

    /** An API key as listed: everything but the secret. */
    record ApiKey(long id, String prefix, String userId, Role role, String label, Instant createdAt, Instant revokedAt) {
    }
}
