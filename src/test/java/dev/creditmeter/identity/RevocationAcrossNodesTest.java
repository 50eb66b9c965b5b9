package dev.creditmeter.identity;

import com.zaxxer.hikari.HikariDataSource;
import dev.creditmeter.Api;
import dev.creditmeter.ApiTest;
import dev.creditmeter.ServiceProcess;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * API keys are cached on every node, and a revocation still takes effect at once everywhere: on the
 * revoking node before it answers, on every other node as soon as PostgreSQL delivers the notification.
 */
class RevocationAcrossNodesTest extends ApiTest {

    private static final String CREDITS = "/api/v1/credits";
    private static final Duration NOTIFICATION_BOUND = Duration.ofSeconds(1);

    @Autowired
    HikariDataSource dataSource;

    @Test
    void aKeyRevokedOnOneNodeStopsWorkingOnBoth() throws Exception {
        Path dataDir = Path.of("target", "test-data", "revoke-" + UUID.randomUUID()).toAbsolutePath();
        ServiceProcess second = ServiceProcess.sharing(dataSource, dataDir);
        try {
            for (boolean revokeHere : new boolean[] {true, false}) {
                String user = newUserId();
                var created = api.post(adminKey(), CREDITS + "/admin/api-keys",
                        "{\"user_id\":\"" + user + "\",\"role\":\"user\"}");
                String key = created.json().path("key").asString();
                // Used on both nodes, several times: cached on both.
                for (int i = 0; i < 3; i++) {
                    assertThat(api.get(key, CREDITS + "/balance").status()).isEqualTo(200);
                    assertThat(second.api().get(key, CREDITS + "/balance").status()).isEqualTo(200);
                }
                Api revoking = revokeHere ? api : second.api();
                Api other = revokeHere ? second.api() : api;

                var revoked = revoking.delete(adminKey(), CREDITS + "/admin/api-keys/" + created.json().path("id").asLong());
                assertThat(revoked.status()).as(revoked.body()).isEqualTo(200);

                assertThat(revoking.get(key, CREDITS + "/balance").status()).as("on the revoking node").isEqualTo(401);
                long start = System.nanoTime();
                int status;
                while ((status = other.get(key, CREDITS + "/balance").status()) != 401
                        && System.nanoTime() - start < NOTIFICATION_BOUND.toNanos()) {
                    Thread.sleep(1);
                }
                long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
                System.out.printf("REVOCATION reached the other node after %d ms%n", millis);
                assertThat(status).as("on the other node, within %s", NOTIFICATION_BOUND).isEqualTo(401);
            }
        } finally {
            second.stop();
        }
    }
}
