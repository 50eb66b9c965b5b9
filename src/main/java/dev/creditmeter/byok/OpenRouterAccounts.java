package dev.creditmeter.byok;

import dev.creditmeter.credits.Money;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/** The openrouter_accounts table. Reads for people never select the encrypted key. */
@Repository
class OpenRouterAccounts {

    private static final String VIEW = """
            select user_id, email, account_id, key_hint, free_credits_remaining_micros, is_active, last_synced,
                   created_at, updated_at
            from openrouter_accounts""";

    private final JdbcClient jdbc;

    OpenRouterAccounts(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The contract's OpenRouterAccount: never the key, plain or encrypted. */
    record Account(String userId, String email, String accountId, String keyHint, Money freeCreditsRemaining,
                   boolean isActive, Instant lastSynced, Instant createdAt, Instant updatedAt) {
    }

    record Sealed(String userId, String encryptedKey) {
    }

    Account save(String userId, String email, String accountId, String keyHint, String encryptedKey,
                 Money freeCredits, Instant now) {
        return jdbc.sql("""
                        insert into openrouter_accounts (user_id, email, account_id, key_hint, encrypted_key,
                            free_credits_remaining_micros, is_active, last_synced, created_at, updated_at)
                        values (:userId, :email, :accountId, :keyHint, :encryptedKey, :free, true, :now, :now, :now)
                        on conflict (user_id) do update
                        set email = excluded.email, account_id = excluded.account_id, key_hint = excluded.key_hint,
                            encrypted_key = excluded.encrypted_key,
                            free_credits_remaining_micros = excluded.free_credits_remaining_micros,
                            is_active = true, last_synced = excluded.last_synced, updated_at = excluded.updated_at
                        returning user_id, email, account_id, key_hint, free_credits_remaining_micros, is_active,
                                  last_synced, created_at, updated_at
                        """)
                .param("userId", userId).param("email", email).param("accountId", accountId)
                .param("keyHint", keyHint).param("encryptedKey", encryptedKey).param("free", freeCredits.micros())
                .param("now", Timestamp.from(now))
                .query(OpenRouterAccounts::row).single();
    }

    Optional<Account> find(String userId) {
        return jdbc.sql(VIEW + " where user_id = :userId").param("userId", userId)
                .query(OpenRouterAccounts::row).optional();
    }

    Optional<String> encryptedKey(String userId) {
        return jdbc.sql("select encrypted_key from openrouter_accounts where user_id = :userId")
                .param("userId", userId).query(String.class).optional();
    }

    void synced(String userId, Money freeCredits, Instant now) {
        jdbc.sql("""
                        update openrouter_accounts
                        set free_credits_remaining_micros = :free, last_synced = :now, updated_at = :now
                        where user_id = :userId
                        """)
                .param("free", freeCredits.micros()).param("now", Timestamp.from(now)).param("userId", userId).update();
    }

    void delete(String userId) {
        jdbc.sql("delete from openrouter_accounts where user_id = :userId").param("userId", userId).update();
    }

    /** Every stored key, locked for re-encryption. */
    List<Sealed> lockAll() {
        return jdbc.sql("select user_id, encrypted_key from openrouter_accounts order by user_id for update")
                .query((rs, n) -> new Sealed(rs.getString(1), rs.getString(2))).list();
    }

    void reencrypt(String userId, String encryptedKey) {
        jdbc.sql("update openrouter_accounts set encrypted_key = :key, updated_at = now() where user_id = :userId")
                .param("key", encryptedKey).param("userId", userId).update();
    }

    private static Account row(ResultSet rs, int n) throws SQLException {
        return new Account(rs.getString("user_id"), rs.getString("email"), rs.getString("account_id"),
                rs.getString("key_hint"), Money.ofMicros(rs.getLong("free_credits_remaining_micros")),
                rs.getBoolean("is_active"), instant(rs, "last_synced"), instant(rs, "created_at"), instant(rs, "updated_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
