package dev.creditmeter.credits;

import dev.creditmeter.web.ApiException;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.SQLException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Runs a money-moving request at most once per {@code Idempotency-Key} and caller.
 *
 * <p>The key is claimed by inserting its row in the same transaction as the work, and the response is
 * stored in that row before commit. A concurrent retry blocks on the uncommitted row and then replays
 * the committed answer, so parallel retries all get the same bytes. If the first request is still
 * running after {@code creditmeter.idempotency.wait}, the retry gets 409 instead of waiting longer. That wait
 * bounds every lock wait of the request's transaction; a lock of the work (an account another transaction
 * keeps) that takes longer is the service being busy: a 503, and the key is free again.
 * Business refusals (insufficient credits, unknown account) are stored and replayed like successes.
 */
@Service
public class IdempotentRequests {

    public static final String HEADER = "Idempotency-Key";
    private static final int MAX_KEY_LENGTH = 255;
    private static final String LOCK_NOT_AVAILABLE = "55P03";

    private final JdbcClient jdbc;
    private final TransactionTemplate transactions;
    private final JsonMapper json;
    private final Duration wait;
    private final Duration retention;

    IdempotentRequests(JdbcClient jdbc, TransactionTemplate transactions, JsonMapper json,
                       @Value("${creditmeter.idempotency.wait:10s}") Duration wait,
                       @Value("${creditmeter.idempotency.retention:48h}") Duration retention) {
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.json = json;
        this.wait = wait;
        this.retention = retention;
    }

    /** Rejects a malformed key with 400 before anything else happens. */
    public static void checkKey(String key) {
        if (key != null && (key.isEmpty() || key.length() > MAX_KEY_LENGTH
                || !key.chars().allMatch(c -> c >= 0x20 && c <= 0x7e))) {
            throw ApiException.badRequest("Idempotency-Key must be 1 to 255 printable ASCII characters");
        }
    }

    /**
     * @param caller  whose key space the key lives in
     * @param key     the Idempotency-Key header, or null
     * @param route   names the operation, so one key cannot be replayed against another route
     * @param request the parsed request; its canonical JSON identifies "the same body"
     * @param work    the business operation; runs inside the transaction
     */
    public ResponseEntity<Object> run(String caller, String key, String route, Object request, Supplier<Reply> work) {
        return run(caller, key, route, request, Optional::empty, work);
    }

    /**
     * As {@link #run(String, String, String, Object, Supplier)}, with a gate that may refuse the request
     * before the work runs: a limit such as a call quota or a throttle. A retry of a request that already
     * has a stored answer gets that answer whatever the gate would say now, and a refusal by the gate is
     * not stored (the key stays free for a retry once the limit allows it).
     *
     * @param gate a refusal, or empty to let the work run; runs inside the transaction
     */
    public ResponseEntity<Object> run(String caller, String key, String route, Object request,
                                      Supplier<Optional<ResponseEntity<Object>>> gate, Supplier<Reply> work) {
        checkKey(key);
        if (key == null) {
            return transactions.execute(status -> gate.get().orElseGet(() -> {
                Reply reply = work.get();
                return ResponseEntity.status(reply.status()).contentType(contentType(reply)).body(reply.body());
            }));
        }
        byte[] hash = sha256(route + "\n" + json.writeValueAsString(request));
        return transactions.execute(status -> runOnce(caller, key, hash, gate, work));
    }

    private ResponseEntity<Object> runOnce(String caller, String key, byte[] hash,
                                           Supplier<Optional<ResponseEntity<Object>>> gate, Supplier<Reply> work) {
        jdbc.sql("select set_config('lock_timeout', :timeout, true)")
                .param("timeout", wait.toMillis() + "ms").query().singleValue();
        int claimed;
        try {
            claimed = jdbc.sql("""
                            insert into idempotency_keys (caller, key, request_hash, status_code, content_type, response_body)
                            values (:caller, :key, :hash, 0, '', ''::bytea)
                            on conflict (caller, key) do nothing
                            """)
                    .param("caller", caller).param("key", key).param("hash", hash).update();
        } catch (DataAccessException e) {
            // Only a wait for the key is this conflict: a lock the work waits for too long is the service being
            // busy (a 503 from the web layer), and the rolled-back claim leaves the key free for the retry.
            if (e.getMostSpecificCause() instanceof SQLException sql && LOCK_NOT_AVAILABLE.equals(sql.getSQLState())) {
                throw new ApiException(HttpStatus.CONFLICT,
                        "A request with this Idempotency-Key is still being processed; retry later");
            }
            throw e;
        }
        if (claimed == 0) {
            return replay(caller, key, hash);
        }
        Optional<ResponseEntity<Object>> refused = gate.get();
        if (refused.isPresent()) {
            // A refusal by a limit is not the request's answer: the key is freed (what the gate recorded,
            // such as an audit row, stays).
            jdbc.sql("delete from idempotency_keys where caller = :caller and key = :key")
                    .param("caller", caller).param("key", key).update();
            return refused.get();
        }
        Reply reply = work.get();
        MediaType contentType = contentType(reply);
        byte[] body = json.writeValueAsBytes(reply.body());
        jdbc.sql("""
                        update idempotency_keys set status_code = :status, content_type = :contentType, response_body = :body
                        where caller = :caller and key = :key
                        """)
                .param("status", reply.status().value()).param("contentType", contentType.toString())
                .param("body", body).param("caller", caller).param("key", key).update();
        return ResponseEntity.status(reply.status()).contentType(contentType).body(body);
    }

    private ResponseEntity<Object> replay(String caller, String key, byte[] hash) {
        record Stored(byte[] hash, int status, String contentType, byte[] body) {
        }
        Stored stored = jdbc.sql("""
                        select request_hash, status_code, content_type, response_body
                        from idempotency_keys where caller = :caller and key = :key
                        """)
                .param("caller", caller).param("key", key)
                .query((rs, n) -> new Stored(rs.getBytes(1), rs.getInt(2), rs.getString(3), rs.getBytes(4)))
                .single();
        if (!Arrays.equals(stored.hash(), hash)) {
            throw ApiException.invalid("Idempotency-Key", "was already used with a different request");
        }
        return ResponseEntity.status(stored.status())
                .contentType(MediaType.parseMediaType(stored.contentType()))
                .header("Idempotent-Replayed", "true")
                .body(stored.body());
    }

    /** Keys are kept at least 24 hours (48 by default); deleting old ones is safe on every node at once. */
    @Scheduled(fixedDelayString = "${creditmeter.idempotency.purge-interval:1h}", initialDelayString = "1m")
    void purgeExpired() {
        jdbc.sql("delete from idempotency_keys where created_at < now() - cast(:age as interval)")
                .param("age", retention.toSeconds() + " seconds").update();
    }

    private static MediaType contentType(Reply reply) {
        return reply.isProblem() ? MediaType.APPLICATION_PROBLEM_JSON : MediaType.APPLICATION_JSON;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
