package dev.creditmeter.identity;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

class AdminKeyFileTest {

    @TempDir
    Path dataDir;

    @Test
    void theEmbeddedDatabasesKeyGoesToAdminKey() throws Exception {
        Path file = AdminKeyFile.write(dataDir, "", "cm_embedded");

        assertThat(file).isEqualTo(dataDir.resolve("admin.key").toAbsolutePath());
        assertThat(Files.readString(file)).isEqualTo("cm_embedded\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }

    @Test
    void anExternalDatabasesKeyIsNamedForItsHostPortAndDatabaseWithoutItsParameters() throws Exception {
        Path file = AdminKeyFile.write(dataDir, "jdbc:postgresql://db.example.com:5433/credit_meter?user=cm&password=hunter2", "cm_external");

        assertThat(file.getFileName()).hasToString("admin-db.example.com-5433-credit_meter.key");
        assertThat(AdminKeyFile.preferred(dataDir, "jdbc:postgresql://../../etc/passwd").getFileName())
                .hasToString("admin-etc-passwd.key");
        assertThat(AdminKeyFile.preferred(dataDir, "jdbc:postgresql://h1:5432,h2:5432/cm").getFileName())
                .hasToString("admin-h1-5432-h2-5432-cm.key");
    }

    @Test
    void anExistingKeyFileIsNeverOverwritten() throws Exception {
        Path first = AdminKeyFile.write(dataDir, "", "cm_first");
        Path second = AdminKeyFile.write(dataDir, "", "cm_second");
        Path third = AdminKeyFile.write(dataDir, "", "cm_third");

        assertThat(Files.readString(first)).isEqualTo("cm_first\n");
        assertThat(second.getFileName()).hasToString("admin-2.key");
        assertThat(Files.readString(second)).isEqualTo("cm_second\n");
        assertThat(third.getFileName()).hasToString("admin-3.key");
    }
}
