package dev.creditmeter.tiers;

import dev.creditmeter.credits.Account;
import dev.creditmeter.credits.AccountRead;
import dev.creditmeter.credits.CreditService;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;

/**
 * The balance as {@code GET /balance} shows it, read in ONE statement outside any transaction: the account
 * (created on first use) and the calls counted in its current quota window.
 * <p>
 * The statement crosses the line between two features, so it is split by ownership: credits writes the part
 * that reads and creates the account ({@link AccountRead}, the CTE {@code account}); this class adds only the
 * read of its own table, api_call_counts. credits still depends on nothing else, and no credits table is
 * named here.
 */
@Repository
class Balances {

    private final JdbcClient jdbc;
    private final AccountRead accounts;
    /** Built once: the SQL text is also the key of the prepared-statement caches. */
    private final String sql;

    Balances(JdbcClient jdbc, CreditService credits) {
        this.jdbc = jdbc;
        this.accounts = credits.accountRead();
        // The window starts at 00:00Z for daily tiers, else at the account's period_start (CallQuotas.window).
        this.sql = accounts.ctes() + """
                select a.*,
                       coalesce((select c.calls
                                 from api_call_counts c
                                 where c.user_id = a.user_id
                                   and c.window_start = case when a.tier = any(:quotaDailyTiers) then :quotaDayStart
                                                             else a.period_start end), 0) as quota_calls
                from account a
                """;
    }

    record AccountCalls(Account account, long calls) {
    }

    /**
     * The account and its call count; empty when a concurrent first request created the account meanwhile
     * (run it again).
     *
     * @param dailyTiers the tiers whose quota window is the UTC day
     * @param dayStart   the start of the current UTC day
     */
    Optional<AccountCalls> read(String userId, String[] dailyTiers, Instant dayStart) {
        return jdbc.sql(sql).params(accounts.params(userId))
                .param("quotaDailyTiers", dailyTiers).param("quotaDayStart", Timestamp.from(dayStart))
                .query((rs, n) -> new AccountCalls(accounts.account(rs), rs.getLong("quota_calls"))).optional();
    }
}
