package dev.creditmeter.tiers;

import com.zaxxer.hikari.HikariDataSource;
import dev.creditmeter.ApiTest;
import dev.creditmeter.ServiceProcess;
import dev.creditmeter.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The monthly renewal job, called directly with a chosen time and rollover policy. Each test works in its
 * own stretch of the past, so that accounts of other tests (created at the real time) are never due.
 */
class RenewalTest extends ApiTest {

    @Autowired
    Renewals renewals;

    @Autowired
    TestClock clock;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    HikariDataSource dataSource;

    @AfterEach
    void resetClockAndCheckLedger() {
        clock.reset();
        assertLedgerConsistent();
    }

    private String accountOpenedAt(Instant at) {
        clock.set(at);
        String user = newUserId();
        balanceOf(user);
        return user;
    }

    private long rows(String userId, String type) {
        return jdbc.sql("select count(*) from credit_transactions where user_id = ? and transaction_type = ?")
                .param(userId).param(type).query(Long.class).single();
    }

    private JsonNode renewedAt(String user, Instant now, TierProperties.Rollover rollover) {
        clock.set(now);
        renewals.renewDue(now, rollover);
        return balanceOf(user);
    }

    @Test
    void anAccountThreeMonthsOverdueIsRenewedOnceToTheNextAnchorDay() {
        String user = accountOpenedAt(Instant.parse("2020-01-15T10:00:00Z"));

        JsonNode balance = renewedAt(user, Instant.parse("2020-04-20T12:00:00Z"), TierProperties.Rollover.NONE);

        assertThat(rows(user, "monthly_reset")).isEqualTo(1);
        assertThat(rows(user, "expiration")).isEqualTo(1);
        assertThat(Instant.parse(balance.path("reset_date").asString())).isEqualTo(Instant.parse("2020-05-15T10:00:00Z"));
        assertThat(balance.path("balance").decimalValue()).isEqualByComparingTo("5");
        assertThat(jdbc.sql("select period_start from credit_accounts where user_id = ?").param(user)
                .query(java.time.OffsetDateTime.class).single().toInstant()).isEqualTo(Instant.parse("2020-04-15T10:00:00Z"));

        renewals.renewDue(Instant.parse("2020-04-20T12:00:00Z"), TierProperties.Rollover.NONE);
        assertThat(rows(user, "monthly_reset")).as("not due again").isEqualTo(1);
    }

    @Test
    void theAnchorDaySurvivesAShortMonth() {
        String user = accountOpenedAt(Instant.parse("2020-01-31T08:00:00Z"));
        assertThat(balanceOf(user).path("reset_date").asString()).isEqualTo("2020-02-29T08:00:00Z");

        JsonNode february = renewedAt(user, Instant.parse("2020-02-29T09:00:00Z"), TierProperties.Rollover.NONE);
        assertThat(february.path("reset_date").asString()).isEqualTo("2020-03-31T08:00:00Z");

        JsonNode march = renewedAt(user, Instant.parse("2020-03-31T08:00:00Z"), TierProperties.Rollover.NONE);
        assertThat(march.path("reset_date").asString()).isEqualTo("2020-04-30T08:00:00Z");
    }

    @Test
    void rolloverNoneExpiresTheUnusedAllowanceAndKeepsTheBonus() {
        String user = accountOpenedAt(Instant.parse("2020-06-05T00:00:00Z"));
        allocate(user, "3");
        deduct(adminKey(), user, "2", Map.of());

        JsonNode balance = renewedAt(user, Instant.parse("2020-07-06T00:00:00Z"), TierProperties.Rollover.NONE);

        assertThat(balance.path("allowance_remaining").decimalValue()).isEqualByComparingTo("5");
        assertThat(balance.path("bonus_credits").decimalValue()).isEqualByComparingTo("3");
        assertThat(balance.path("balance").decimalValue()).isEqualByComparingTo("8");
        assertThat(balance.path("free_tier_used").decimalValue()).isEqualByComparingTo("0");
        assertThat(jdbc.sql("select amount_micros from credit_transactions where user_id = ? and transaction_type = 'expiration'")
                .param(user).query(Long.class).single()).isEqualTo(-3_000_000L);
    }

    @Test
    void rolloverFullKeepsTheUnusedAllowanceAndTheBonus() {
        String user = accountOpenedAt(Instant.parse("2020-06-05T00:00:00Z"));
        allocate(user, "3");
        deduct(adminKey(), user, "2", Map.of());

        JsonNode balance = renewedAt(user, Instant.parse("2020-07-06T00:00:00Z"), TierProperties.Rollover.FULL);

        assertThat(balance.path("allowance_remaining").decimalValue()).isEqualByComparingTo("8");
        assertThat(balance.path("bonus_credits").decimalValue()).isEqualByComparingTo("3");
        assertThat(balance.path("balance").decimalValue()).isEqualByComparingTo("11");
        assertThat(rows(user, "expiration")).isZero();
        assertThat(rows(user, "monthly_reset")).isEqualTo(1);
    }

    @Test
    void aNegativeBalanceIsRepaidFromTheNewAllowance() {
        String user = accountOpenedAt(Instant.parse("2020-08-10T00:00:00Z"));
        var track = api.post(adminKey(), "/api/v1/credits/usage/track",
                "{\"user_id\":\"" + user + "\",\"service\":\"chat\",\"cost\":7}");
        assertThat(track.status()).as(track.body()).isEqualTo(200);

        JsonNode balance = renewedAt(user, Instant.parse("2020-09-10T00:00:00Z"), TierProperties.Rollover.NONE);

        assertThat(balance.path("balance").decimalValue()).isEqualByComparingTo("1.95");
        assertThat(balance.path("allowance_remaining").decimalValue()).isEqualByComparingTo("1.95");
        assertThat(balance.path("bonus_credits").decimalValue()).isEqualByComparingTo("0");
        assertThat(rows(user, "expiration")).as("nothing was left to expire").isZero();
    }

    @Test
    void twoNodesRenewingAtOnceRenewEachAccountExactlyOnce() throws Exception {
        List<String> users = new ArrayList<>();
        clock.set(Instant.parse("2019-03-10T00:00:00Z"));
        for (int i = 0; i < 2 * Renewals.BATCH_SIZE + 30; i++) {
            users.add(newUserId());
        }
        // Open the accounts through the service, in parallel to save time.
        try (var executor = Executors.newFixedThreadPool(8)) {
            var opened = new ArrayList<Future<?>>();
            for (String user : users) {
                opened.add(executor.submit(() -> balanceOf(user)));
            }
            for (var future : opened) {
                future.get();
            }
        }
        Instant now = Instant.parse("2019-04-11T00:00:00Z");
        clock.set(now);

        var start = new CountDownLatch(1);
        int renewed;
        try (var executor = Executors.newFixedThreadPool(2)) {
            var first = executor.submit(() -> {
                start.await();
                return renewals.renewDue(now, TierProperties.Rollover.NONE);
            });
            var second = executor.submit(() -> {
                start.await();
                return renewals.renewDue(now, TierProperties.Rollover.NONE);
            });
            start.countDown();
            renewed = first.get() + second.get();
        }

        assertThat(renewed).isGreaterThanOrEqualTo(users.size());
        assertThat(jdbc.sql("""
                        select count(*) from credit_transactions
                        where user_id = any(?) and transaction_type = 'monthly_reset'
                        """).param(users.toArray(String[]::new)).query(Long.class).single())
                .isEqualTo(users.size());
        assertThat(jdbc.sql("select count(distinct reset_date) from credit_accounts where user_id = any(?)")
                .param(users.toArray(String[]::new)).query(Long.class).single()).isEqualTo(1);
    }

    @Test
    void aSecondServiceProcessAndThisNodeRenewingTogetherRenewEachAccountOnce() throws Exception {
        Path dataDir = Path.of("target", "test-data", "node-" + UUID.randomUUID()).toAbsolutePath();
        ServiceProcess node = ServiceProcess.sharing(dataSource, dataDir,
                "--creditmeter.tiers.renewal-initial-delay=0s", "--creditmeter.tiers.renewal-interval=100ms");
        List<String> users = new ArrayList<>();
        var creating = new AtomicBoolean(true);
        try (var executor = Executors.newFixedThreadPool(8)) {
            // This node renews in a loop, on the real clock, while the accounts fall due one after another.
            Future<Integer> local = executor.submit(() -> {
                int renewed = 0;
                while (creating.get()) {
                    renewed += renewals.renewDue(Instant.now(), TierProperties.Rollover.NONE);
                }
                return renewed;
            });
            clock.set(Instant.parse("2018-02-01T00:00:00Z"));
            var opened = new ArrayList<Future<?>>();
            for (int i = 0; i < 400; i++) {
                String user = newUserId();
                users.add(user);
                opened.add(executor.submit(() -> balanceOf(user)));
            }
            for (var future : opened) {
                future.get();
            }
            String[] ids = users.toArray(String[]::new);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (jdbc.sql("select count(*) from credit_accounts where user_id = any(?) and reset_date <= now()")
                    .param(ids).query(Long.class).single() > 0) {
                assertThat(System.nanoTime()).as("every account renewed in time").isLessThan(deadline);
                Thread.sleep(100);
            }
            creating.set(false);
            local.get();

            assertThat(jdbc.sql("""
                            select count(*) from credit_accounts a
                            where a.user_id = any(?)
                              and (select count(*) from credit_transactions t
                                   where t.user_id = a.user_id and t.transaction_type = 'monthly_reset') <> 1
                            """).param(ids).query(Long.class).single())
                    .as("accounts not renewed exactly once").isZero();
        } finally {
            creating.set(false);
            node.stop();
        }
    }
}
