package dev.creditmeter;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each database's bootstrap admin key has its own file: starting on an empty external database from a
 * data directory whose embedded database already has its admin.key leaves that file alone.
 */
class AdminKeyPerDatabaseTest {

    private static final String KEYS = "/api/v1/credits/admin/api-keys";

    @Test
    void aKeyBootstrappedOnAnExternalDatabaseGoesToItsOwnFileAndAdminKeyStillOpensTheEmbeddedOne() throws Exception {
        Path dataDir = Path.of("target", "test-data", "keys-" + UUID.randomUUID()).toAbsolutePath();
        Path externalDir = Path.of("target", "test-data", "external-" + UUID.randomUUID()).toAbsolutePath();
        Path adminKeyFile = dataDir.resolve("admin.key");

        ServiceProcess embedded = ServiceProcess.start(dataDir, Map.of());
        try (var external = EmbeddedDatabase.start(externalDir)) {
            String embeddedKey = Files.readString(adminKeyFile).strip();
            FileTime written = Files.getLastModifiedTime(adminKeyFile);
            int externalPort = URI.create(external.jdbcUrl().substring("jdbc:".length())).getPort();

            ServiceProcess onExternal = ServiceProcess.start(dataDir, Map.of(
                    "SPRING_DATASOURCE_URL", external.jdbcUrl(),
                    "SPRING_DATASOURCE_USERNAME", external.username(),
                    "SPRING_DATASOURCE_PASSWORD", external.password()));
            try {
                assertThat(Files.readString(adminKeyFile).strip()).as("admin.key is not overwritten").isEqualTo(embeddedKey);
                assertThat(Files.getLastModifiedTime(adminKeyFile)).isEqualTo(written);

                Path externalKeyFile = dataDir.resolve("admin-127.0.0.1-" + externalPort + "-postgres.key");
                assertThat(externalKeyFile).exists();
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(externalKeyFile))).isEqualTo("rw-------");
                assertThat(Files.readString(dataDir.resolve("service.out")))
                        .as("the log names the file").contains("also in " + externalKeyFile);
                String externalKey = Files.readString(externalKeyFile).strip();
                assertThat(externalKey).startsWith("cm_").isNotEqualTo(embeddedKey);

                assertThat(embedded.api().get(embeddedKey, KEYS).status()).isEqualTo(200);
                assertThat(onExternal.api().get(externalKey, KEYS).status()).isEqualTo(200);
                assertThat(embedded.api().get(externalKey, KEYS).status()).isEqualTo(401);
                assertThat(onExternal.api().get(embeddedKey, KEYS).status()).isEqualTo(401);
            } finally {
                onExternal.stop();
            }
        } finally {
            embedded.stop();
        }
    }
}
