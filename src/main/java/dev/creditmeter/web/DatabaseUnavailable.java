package dev.creditmeter.web;

import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.transaction.TransactionSystemException;

import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Recognises a failure that means "the database cannot be reached right now" and answers it with a 503
 * and {@code Retry-After}: the request was fine, the service will be again in a moment, and a client
 * that retries is doing the right thing. Everything else stays a 500. The answer says which of two cases it
 * is: the service is busy when a lock held by another transaction outlasted {@code creditmeter.database.lock-timeout}
 * (nothing was done), else the database is unavailable (unreachable, going away, a connection lost, or no pooled
 * connection free in time: the pool cannot tell a crashed database whose connections hang from a busy one, as
 * {@code DatabaseOutageTest} showed).
 *
 * <p>The pool's connection timeout bounds how long a request waits for this answer, so it comes within
 * a second or so rather than after the pool's default 30 s.
 */
final class DatabaseUnavailable {

    static final String DETAIL = "The database is unavailable; retry shortly";
    static final String BUSY = "The service is busy; retry shortly";
    static final int RETRY_AFTER_SECONDS = 1;

    private static final Logger log = LoggerFactory.getLogger(DatabaseUnavailable.class);
    /** During an outage every request fails the same way; one warning per interval says enough. */
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final AtomicLong nextLogNanos = new AtomicLong(System.nanoTime());
    private static final AtomicLong unlogged = new AtomicLong();
    /** PostgreSQL: admin shutdown, crash shutdown, cannot connect now (starting up or shutting down). */
    private static final Set<String> SERVER_GOING_AWAY = Set.of("57P01", "57P02", "57P03");
    /** PostgreSQL: a lock wait longer than lock_timeout. */
    private static final String LOCK_NOT_AVAILABLE = "55P03";

    private DatabaseUnavailable() {
    }

    /**
     * True when the failure, or anything that caused it, is a connection that could not be had or was
     * lost: the pool timing out, a refused or broken socket (SQLState class 08), the server shutting
     * down or starting up, or a commit or rollback the driver could not carry out.
     */
    static boolean causedBy(Throwable failure) {
        return evidence(failure) != null;
    }

    /** The exception in the failure's history that shows the connection was lost, or null. */
    private static Throwable evidence(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Throwable> pending = new ArrayDeque<>();
        pending.add(failure);
        while (!pending.isEmpty()) {
            Throwable t = pending.poll();
            if (!seen.add(t)) {
                continue;
            }
            if (t instanceof CannotGetJdbcConnectionException
                    || t instanceof SQLTransientConnectionException
                    || t instanceof SQLNonTransientConnectionException) {
                return t;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || SERVER_GOING_AWAY.contains(sql.getSQLState())
                    || LOCK_NOT_AVAILABLE.equals(sql.getSQLState()))) {
                return t;
            }
            // A statement or commit that failed on a lost connection is rolled back, and the rollback fails
            // too: the pool has closed the connection by then, and says only "Connection is closed", with no
            // SQLState. A rollback or commit that fails in the driver, rather than on a constraint (those
            // are translated to data access exceptions), means the connection is gone.
            if (t instanceof TransactionSystemException unfinished) {
                if (unfinished.getCause() instanceof SQLException) {
                    return t;
                }
                if (unfinished.getApplicationException() != null) {
                    pending.add(unfinished.getApplicationException());
                }
            }
            if (t.getCause() != null) {
                pending.add(t.getCause());
            }
        }
        return null;
    }

    static ResponseEntity<Object> response(Throwable failure) {
        logRateLimited(failure);
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, Integer.toString(RETRY_AFTER_SECONDS))
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(Problems.of(HttpStatus.SERVICE_UNAVAILABLE, detail(failure)));
    }

    /** For failures outside Spring MVC, where no response entity can be returned. */
    static void write(HttpServletResponse response, Problems problems, Throwable failure) throws IOException {
        logRateLimited(failure);
        response.resetBuffer();
        response.setHeader(HttpHeaders.RETRY_AFTER, Integer.toString(RETRY_AFTER_SECONDS));
        problems.write(response, HttpStatus.SERVICE_UNAVAILABLE, detail(failure));
    }

    static String detail(Throwable failure) {
        return busy(cause(failure)) ? BUSY : DETAIL;
    }

    /** A lock wait that timed out. */
    private static boolean busy(Throwable shown) {
        return shown instanceof SQLException sql && LOCK_NOT_AVAILABLE.equals(sql.getSQLState());
    }

    private static void logRateLimited(Throwable failure) {
        long now = System.nanoTime();
        long next = nextLogNanos.get();
        if (now - next < 0 || !nextLogNanos.compareAndSet(next, now + LOG_INTERVAL_NANOS)) {
            unlogged.incrementAndGet();
            return;
        }
        log.warn("{}, answering 503 ({} more since the last warning): {}",
                busy(cause(failure)) ? "Service busy" : "Database unavailable", unlogged.getAndSet(0), describe(failure));
    }

    /** The evidence, unwrapped from Spring's exception for a connection the pool did not give. */
    private static Throwable cause(Throwable failure) {
        Throwable shown = evidence(failure);
        if (shown instanceof CannotGetJdbcConnectionException && shown.getCause() != null) {
            shown = shown.getCause();
        }
        return shown == null ? failure : shown;
    }

    /** What the driver or the pool said (type, SQLState, message): a refused connection reads unlike a crash. */
    private static String describe(Throwable failure) {
        Throwable shown = cause(failure);
        String state = shown instanceof SQLException sql ? " [" + sql.getSQLState() + "]" : "";
        return shown.getClass().getName() + state + ": " + shown.getMessage();
    }
}
