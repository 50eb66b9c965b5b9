package dev.creditmeter.identity;

import dev.creditmeter.audit.AuditLog;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Issues, lists, revokes and checks API keys. A key is {@code cm_} plus 40 random base-62 characters
 * (about 238 bits), so a plain SHA-256 is a safe way to store it: there is nothing to brute-force.
 */
@Service
public class ApiKeyService {

    static final String KEY_START = "cm_";
    private static final int RANDOM_CHARS = 40;
    private static final int PREFIX_LENGTH = 12;
    private static final int MAX_KEY_LENGTH = KEY_START.length() + RANDOM_CHARS;
    private static final char[] ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

    private final ApiKeys keys;
    private final ApiKeyCache cache;
    private final AuditLog audit;
    private final SecureRandom random = new SecureRandom();

    ApiKeyService(ApiKeys keys, ApiKeyCache cache, AuditLog audit) {
        this.keys = keys;
        this.cache = cache;
        this.audit = audit;
    }

    /** The secret appears in this result only; it is not stored and cannot be shown again. */
    @Transactional
    IssuedKey issue(String userId, Role role, String label, String actor) {
        char[] secret = new char[KEY_START.length() + RANDOM_CHARS];
        KEY_START.getChars(0, KEY_START.length(), secret, 0);
        for (int i = KEY_START.length(); i < secret.length; i++) {
            secret[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        String key = new String(secret);
        ApiKeys.ApiKey stored = keys.insert(key.substring(0, PREFIX_LENGTH), hash(key), userId, role, label, actor);
        audit.record(actor, "api_key.create", userId, "api_key:" + stored.id(), "success",
                Map.of("role", role.wireName(), "prefix", stored.prefix()));
        return new IssuedKey(stored, key);
    }

    List<ApiKeys.ApiKey> list() {
        return keys.list();
    }

    @Transactional
    Optional<ApiKeys.ApiKey> revoke(long id, String actor) {
        Optional<ApiKeys.ApiKey> revoked = keys.revoke(id);
        revoked.ifPresent(key -> {
            cache.revokedInThisTransaction();
            audit.record(actor, "api_key.revoke", key.userId(), "api_key:" + id, "success",
                    Map.of("prefix", key.prefix()));
        });
        return revoked;
    }

    Optional<Caller> authenticate(String token) {
        if (!token.startsWith(KEY_START) || token.length() > MAX_KEY_LENGTH) {
            return Optional.empty();
        }
        byte[] hash = hash(token);
        return cache.get(hash, () -> lookUp(hash));
    }

    private Optional<Caller> lookUp(byte[] hash) {
        try {
            return keys.findActive(hash);
        } catch (CannotGetJdbcConnectionException noConnection) {
            throw noConnection; // the pool has already waited its timeout; waiting again would only be slower
        } catch (DataAccessResourceFailureException lost) {
            // Every request starts here, so after a database restart this is where a pooled connection that
            // died with the old server fails first. The pool has dropped it, and the lookup writes nothing:
            // one more try on another connection is safe and usually answers.
            return keys.findActive(hash);
        }
    }

    static boolean looksLikeApiKey(String token) {
        return token.startsWith(KEY_START);
    }

    private static byte[] hash(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A newly issued key. {@code toString} leaves the secret out. */
    record IssuedKey(ApiKeys.ApiKey key, String secret) {
        @Override
        public String toString() {
            return "IssuedKey[" + key + "]";
        }
    }
}
