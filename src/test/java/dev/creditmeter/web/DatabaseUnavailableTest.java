package dev.creditmeter.web;

import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.PessimisticLockingFailureException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which failures count as "the database is unavailable" (503, retry) and which stay errors (500 or
 * their own status). The shapes are the ones the driver, the pool and Spring produced in
 * {@code DatabaseOutageTest}, where PostgreSQL really is stopped and crashed.
 */
class DatabaseUnavailableTest {

    @Test
    void aPoolTimeoutIsUnavailable() {
        var refused = new PSQLException("Connection refused", PSQLState.CONNECTION_UNABLE_TO_CONNECT);
        var timeout = new SQLTransientConnectionException("creditmeter - Connection is not available", "08001", refused);

        assertThat(DatabaseUnavailable.causedBy(new CannotGetJdbcConnectionException("Failed to obtain JDBC Connection", timeout))).isTrue();
        assertThat(DatabaseUnavailable.causedBy(new CannotCreateTransactionException("Could not open JDBC Connection", timeout))).isTrue();
    }

    @Test
    void aTimedOutLockWaitIsBusyAPoolTimeoutUnavailable() {
        var full = new SQLTransientConnectionException(
                "creditmeter - Connection is not available, request timed out after 1000ms (total=16, active=16, idle=0, waiting=3)");
        var empty = new SQLTransientConnectionException(
                "creditmeter - Connection is not available, request timed out after 1000ms (total=0, active=0, idle=0, waiting=2)");
        var lockWait = new SQLException("canceling statement due to lock timeout", "55P03");

        // a full pool may hang on a crashed database as well as on a busy one: the pool cannot tell
        assertThat(DatabaseUnavailable.detail(new CannotGetJdbcConnectionException("Failed to obtain JDBC Connection", full)))
                .isEqualTo(DatabaseUnavailable.DETAIL);
        assertThat(DatabaseUnavailable.detail(new CannotGetJdbcConnectionException("Failed to obtain JDBC Connection", empty)))
                .isEqualTo(DatabaseUnavailable.DETAIL);
        assertThat(DatabaseUnavailable.causedBy(new org.springframework.jdbc.UncategorizedSQLException("update", "update", lockWait)))
                .isTrue();
        assertThat(DatabaseUnavailable.detail(new org.springframework.jdbc.UncategorizedSQLException("update", "update", lockWait)))
                .isEqualTo(DatabaseUnavailable.BUSY);
    }

    @Test
    void aConnectionLostInTheMiddleOfAStatementIsUnavailable() {
        var broken = new PSQLException("An I/O error occurred while sending to the backend.", PSQLState.CONNECTION_FAILURE);

        assertThat(DatabaseUnavailable.causedBy(new DataAccessResourceFailureException("select", broken))).isTrue();
    }

    @Test
    void aServerShuttingDownOrStartingUpIsUnavailable() {
        for (String state : new String[]{"57P01", "57P02", "57P03"}) {
            var going = new SQLException("terminating connection", state);
            assertThat(DatabaseUnavailable.causedBy(new DataAccessResourceFailureException("select", going))).as(state).isTrue();
        }
    }

    @Test
    void aRollbackThePoolRefusesOnAClosedConnectionIsUnavailable() {
        // The pool's own exception for a connection it has already thrown away carries no SQLState.
        var rollback = new TransactionSystemException("JDBC rollback failed", new SQLException("Connection is closed"));

        assertThat(DatabaseUnavailable.causedBy(rollback)).isTrue();
    }

    @Test
    void constraintsLocksAndOtherFailuresAreNot() {
        var duplicate = new DataIntegrityViolationException("insert", new SQLException("duplicate key", "23505"));
        var deadlock = new PessimisticLockingFailureException("update", new SQLException("deadlock detected", "40P01"));
        var diskFull = new DataAccessResourceFailureException("insert", new SQLException("could not extend file", "53100"));

        assertThat(DatabaseUnavailable.causedBy(duplicate)).isFalse();
        assertThat(DatabaseUnavailable.causedBy(deadlock)).isFalse();
        assertThat(DatabaseUnavailable.causedBy(diskFull)).isFalse();
        assertThat(DatabaseUnavailable.causedBy(new IllegalStateException("bug"))).isFalse();
        assertThat(DatabaseUnavailable.causedBy(new TransactionSystemException("no cause"))).isFalse();
    }
}
