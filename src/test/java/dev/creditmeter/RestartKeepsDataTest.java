package dev.creditmeter;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.UUID;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stops and starts the real application on one data directory: the embedded database, the bootstrap
 * admin key and every balance and ledger row survive, and the admin key is not issued again.
 */
class RestartKeepsDataTest {

    private static final String CREDITS = "/api/v1/credits";

    @Test
    void aRestartKeepsTheAdminKeyBalancesAndLedger() throws Exception {
        Path dataDir = Path.of("target", "test-data", "restart-" + UUID.randomUUID()).toAbsolutePath();
        Path adminKeyFile = dataDir.resolve("admin.key");
        String user = "user-" + UUID.randomUUID();

        String adminKey;
        FileTime keyWritten;
        String ledgerBefore;
        String balanceBefore;
        ServiceProcess first = ServiceProcess.start(dataDir, Map.of());
        try {
            assertThat(adminKeyFile).exists();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(adminKeyFile))).isEqualTo("rw-------");
            adminKey = Files.readString(adminKeyFile).strip();
            keyWritten = Files.getLastModifiedTime(adminKeyFile);
            assertThat(adminKey).startsWith("cm_");
            Api api = first.api();

            var allocated = api.post(adminKey, CREDITS + "/allocate",
                    "{\"user_id\":\"" + user + "\",\"amount\":12.345678,\"source\":\"restart-test\"}");
            assertThat(allocated.status()).as(allocated.body()).isEqualTo(200);
            var deducted = api.post(adminKey, CREDITS + "/deduct",
                    "{\"user_id\":\"" + user + "\",\"amount\":2.5,\"service\":\"llm\"}");
            assertThat(deducted.status()).as(deducted.body()).isEqualTo(200);

            var balance = api.get(adminKey, CREDITS + "/balance?user_id=" + user);
            assertThat(balance.json().path("balance").decimalValue()).isEqualByComparingTo("14.845678");
            balanceBefore = figures(balance.json());
            var ledger = api.get(adminKey, CREDITS + "/transactions?user_id=" + user);
            assertThat(ledger.header("X-Total-Count")).isEqualTo("3");
            ledgerBefore = ledger.body();
            assertConsistent(api, adminKey);
        } finally {
            first.stop();
        }
        assertThat(first.process().isAlive()).isFalse();

        ServiceProcess second = ServiceProcess.start(dataDir, Map.of());
        try {
            Api api = second.api();
            assertThat(Files.readString(adminKeyFile).strip()).as("admin.key is not regenerated").isEqualTo(adminKey);
            assertThat(Files.getLastModifiedTime(adminKeyFile)).isEqualTo(keyWritten);

            var balance = api.get(adminKey, CREDITS + "/balance?user_id=" + user);
            assertThat(balance.status()).as(balance.body()).isEqualTo(200);
            assertThat(figures(balance.json())).isEqualTo(balanceBefore);
            var ledger = api.get(adminKey, CREDITS + "/transactions?user_id=" + user);
            assertThat(ledger.status()).isEqualTo(200);
            assertThat(ledger.header("X-Total-Count")).isEqualTo("3");
            assertThat(ledger.body()).isEqualTo(ledgerBefore);
            assertConsistent(api, adminKey);
            assertThat(api.get(adminKey, CREDITS + "/admin/api-keys").json().size())
                    .as("only the bootstrap key exists").isEqualTo(1);
        } finally {
            second.stop();
        }

        System.out.printf("RestartKeepsDataTest: first start (new database) %d ms, second start %d ms%n",
                first.startup().toMillis(), second.startup().toMillis());
        assertThat(first.startup()).isLessThan(Duration.ofSeconds(60));
        assertThat(second.startup()).isLessThan(Duration.ofSeconds(60));
    }

    /** The money figures of a balance (not timestamps, which a read may not change anyway). */
    private static String figures(JsonNode balance) {
        return String.join(",", balance.path("balance").asString(), balance.path("available").asString(),
                balance.path("held").asString(), balance.path("allowance_remaining").asString(),
                balance.path("bonus_credits").asString(), balance.path("free_tier_used").asString(),
                balance.path("tier").asString(), balance.path("reset_date").asString(),
                balance.path("created_at").asString());
    }

    private static void assertConsistent(Api api, String adminKey) {
        var report = api.get(adminKey, CREDITS + "/admin/ledger/verify");
        assertThat(report.status()).isEqualTo(200);
        assertThat(report.json().path("consistent").asBoolean()).as(report.body()).isTrue();
        assertThat(report.json().path("inconsistencies").isEmpty()).as(report.body()).isTrue();
        assertThat(report.json().path("accounts_checked").asLong()).isEqualTo(1);
    }
}
