package dev.creditmeter.events;

import dev.creditmeter.credits.Money;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * The alert columns of credit_accounts (V14): the account's own low-balance threshold and where its balance stands
 * against it. This feature owns them; the credits feature never reads them. Every update of them goes through
 * the account's trigger, so a new threshold that the balance is back above answers balance.recovered at once.
 */
@Repository
class Thresholds {

    /**
     * The account's threshold columns, alert state, and the threshold as the account trigger applies it (the same
     * database function, with this connection's platform default).
     */
    record Row(String userId, Long lowBalanceMicros, Integer lowBalanceBasisPoints, Money threshold,
               String balanceAlert) {
    }

    private static final String COLUMNS = """
            user_id, low_balance_micros, low_balance_basis_points, balance_alert,
            low_balance_threshold(low_balance_micros, low_balance_basis_points, allocated_monthly_micros) as threshold
            """;

    private final JdbcClient jdbc;

    Thresholds(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<Row> find(String userId) {
        return jdbc.sql("select " + COLUMNS + " from credit_accounts where user_id = :userId")
                .param("userId", userId).query(Thresholds::row).optional();
    }

    /** Sets the account's own threshold (both null: the platform's again). */
    Optional<Row> set(String userId, Long micros, Integer basisPoints) {
        return jdbc.sql("""
                        update credit_accounts
                        set low_balance_micros = :micros, low_balance_basis_points = :basisPoints, updated_at = now()
                        where user_id = :userId
                        returning %s
                        """.formatted(COLUMNS))
                .param("userId", userId).param("micros", micros).param("basisPoints", basisPoints)
                .query(Thresholds::row).optional();
    }

    private static Row row(ResultSet rs, int n) throws SQLException {
        return new Row(rs.getString("user_id"), rs.getObject("low_balance_micros", Long.class),
                rs.getObject("low_balance_basis_points", Integer.class),
                Money.ofMicros(rs.getLong("threshold")), rs.getString("balance_alert"));
    }
}
