package dev.creditmeter;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded database belongs to one process at a time: a second process on the same data
 * directory refuses to start and leaves the first alone, while a database left behind by a process
 * that was killed is stopped so that the next start succeeds.
 */
class OneProcessPerDataDirectoryTest {

    private static final String CREDITS = "/api/v1/credits";

    @Test
    void aSecondProcessOnADataDirectoryInUseRefusesToStartAndLeavesTheFirstRunning() throws Exception {
        Path dataDir = newDataDir("in-use");
        String user = "user-" + UUID.randomUUID();
        ServiceProcess first = ServiceProcess.start(dataDir, Map.of());
        try {
            String adminKey = Files.readString(dataDir.resolve("admin.key")).strip();
            Api api = first.api();
            assertThat(allocate(api, adminKey, user, "10").status()).isEqualTo(200);
            long postgresPid = postmasterPid(dataDir);

            var refusal = ServiceProcess.startExpectingRefusal(dataDir, Map.of());

            assertThat(refusal.exitCode()).as(refusal.output()).isNotZero();
            assertThat(refusal.output())
                    .contains("Data directory " + dataDir + " is in use by another Creditmeter process")
                    .contains("CREDITMETER_DATA_DIR")
                    .doesNotContain("Stopping a PostgreSQL server");
            assertThat(first.process().isAlive()).isTrue();
            assertThat(postmasterPid(dataDir)).as("the first process's database still runs").isEqualTo(postgresPid);
            assertThat(ProcessHandle.of(postgresPid).map(ProcessHandle::isAlive)).contains(true);

            var deducted = api.post(adminKey, CREDITS + "/deduct",
                    "{\"user_id\":\"" + user + "\",\"amount\":2.5,\"service\":\"llm\"}");
            assertThat(deducted.status()).as(deducted.body()).isEqualTo(200);
            var balance = api.get(adminKey, CREDITS + "/balance?user_id=" + user);
            assertThat(balance.status()).as(balance.body()).isEqualTo(200);
            assertThat(balance.json().path("balance").decimalValue()).isEqualByComparingTo("12.5");
            assertConsistent(api, adminKey);
        } finally {
            first.stop();
        }
    }

    @Test
    void aDatabaseLeftRunningByAKilledProcessIsStoppedAndTheNextStartSucceeds() throws Exception {
        Path dataDir = newDataDir("killed");
        String user = "user-" + UUID.randomUUID();
        ServiceProcess killed = ServiceProcess.start(dataDir, Map.of());
        String adminKey = Files.readString(dataDir.resolve("admin.key")).strip();
        long orphanPid;
        try {
            assertThat(allocate(killed.api(), adminKey, user, "7").status()).isEqualTo(200);
            orphanPid = postmasterPid(dataDir);
        } finally {
            killed.process().destroyForcibly(); // SIGKILL: no shutdown hook stops its PostgreSQL
            killed.process().waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(ProcessHandle.of(orphanPid).map(ProcessHandle::isAlive))
                .as("the killed process left its PostgreSQL running").contains(true);

        ServiceProcess next = ServiceProcess.start(dataDir, Map.of());
        try {
            assertThat(ProcessHandle.of(orphanPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            var balance = next.api().get(adminKey, CREDITS + "/balance?user_id=" + user);
            assertThat(balance.status()).as(balance.body()).isEqualTo(200);
            assertThat(balance.json().path("balance").decimalValue()).isEqualByComparingTo("12");
            assertConsistent(next.api(), adminKey);
        } finally {
            next.stop();
        }
    }

    private static Path newDataDir(String name) {
        return Path.of("target", "test-data", name + "-" + UUID.randomUUID()).toAbsolutePath();
    }

    private static Api.Response allocate(Api api, String adminKey, String user, String amount) {
        return api.post(adminKey, CREDITS + "/allocate",
                "{\"user_id\":\"" + user + "\",\"amount\":" + amount + ",\"source\":\"data-dir-test\"}");
    }

    /** The first line of PostgreSQL's own lock file: the pid of the server using the directory. */
    private static long postmasterPid(Path dataDir) throws Exception {
        return Long.parseLong(Files.readAllLines(dataDir.resolve("postgres/postmaster.pid")).getFirst().strip());
    }

    private static void assertConsistent(Api api, String adminKey) {
        var report = api.get(adminKey, CREDITS + "/admin/ledger/verify");
        assertThat(report.status()).isEqualTo(200);
        assertThat(report.json().path("consistent").asBoolean()).as(report.body()).isTrue();
    }
}
