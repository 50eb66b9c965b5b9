package dev.creditmeter.credits;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Map;

/**
 * The read of {@link CreditService#balance}, the account created on first use, as SQL text for a feature
 * that reads its own rows about the account in the same statement: {@code tiers} adds the call quota, so
 * that {@code GET /balance} costs one round trip instead of two.
 * <p>
 * Why text and not a method that takes the other feature's part: credits depends on no other feature and
 * runs no other feature's SQL. This way the statement that creates an account and its ledger row is still
 * written here, next to the other statements on credit_accounts and credit_transactions; the feature that
 * joins its own table only selects from the CTE {@code account} and never names a credits table.
 */
public final class AccountRead {

    private final SignupPolicy signup;
    private final String signupMetadata;
    private final Clock clock;

    AccountRead(Accounts accounts, SignupPolicy signup, Clock clock) {
        this.signup = signup;
        this.signupMetadata = accounts.signupMetadata(signup);
        this.clock = clock;
    }

    /**
     * A CTE, starting with {@code with}, named {@code account}: the user's account if there is one, read and
     * nothing else. Its only named parameter is {@code userId}, see {@link #findParams}.
     */
    public String find() {
        return Accounts.FIND;
    }

    /** The named parameters of {@link #find()} for one user. */
    public Map<String, Object> findParams(String userId) {
        return Map.of("userId", userId);
    }

    /**
     * CTEs, starting with {@code with}, that end in {@code account}: one row, the user's account, created
     * first with the sign-up allowance when there is none; no row when a concurrent first request created it
     * meanwhile, in which case the same statement run again finds it. Follow it with a {@code select} from
     * {@code account}; it is a data-modifying statement, so run it outside a read-only transaction.
     * Its named parameters are the keys of {@link #params}; the caller's own must have other names.
     */
    public String ctes() {
        return Accounts.FIND_OR_PROVISION;
    }

    /** The values of the named parameters of {@link #ctes()} for one user, as of now. */
    public Map<String, Object> params(String userId) {
        return Accounts.provisionParams(userId, signup, clock.instant(), signupMetadata);
    }

    /** The account from the current row of a result that selected {@code account.*} under its own names. */
    public Account account(ResultSet row) throws SQLException {
        return Accounts.row(row, 0);
    }
}
