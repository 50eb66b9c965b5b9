package dev.creditmeter;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.nio.file.Path;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A second node configured with the standard spring.datasource.* settings uses that database and
 * starts no PostgreSQL of its own: both nodes see the same accounts, keys and ledger.
 */
class SecondNodeTest extends ApiTest {

    @Autowired
    HikariDataSource dataSource;

    @Test
    void aNodeWithADataSourceUrlSharesTheDatabase() throws Exception {
        Path dataDir = Path.of("target", "test-data", "node-" + UUID.randomUUID()).toAbsolutePath();
        ServiceProcess node = ServiceProcess.sharing(dataSource, dataDir);
        try {
            String user = newUserId();
            var viaSecondNode = node.api().post(adminKey(), "/api/v1/credits/allocate",
                    "{\"user_id\":\"" + user + "\",\"amount\":3,\"source\":\"node-2\"}");
            assertThat(viaSecondNode.status()).as(viaSecondNode.body()).isEqualTo(200);

            assertThat(balanceOf(user).path("balance").decimalValue()).isEqualByComparingTo("8");
            assertThat(dataDir.resolve("postgres")).doesNotExist();
            assertThat(dataDir.resolve("admin.key")).as("the database already had keys").doesNotExist();
            assertLedgerConsistent();
        } finally {
            node.stop();
        }
    }
}
