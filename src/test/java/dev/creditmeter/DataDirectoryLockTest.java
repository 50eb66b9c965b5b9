package dev.creditmeter;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DataDirectoryLockTest {

    @Test
    void aSecondAttemptInTheSameProcessIsRefusedAndTheFirstLockStaysHeld() throws Exception {
        Path dataDir = Files.createDirectories(Path.of("target", "test-data", "lock-" + UUID.randomUUID()).toAbsolutePath());
        try (var held = DataDirectoryLock.acquire(dataDir)) {
            for (int attempt = 0; attempt < 2; attempt++) {
                assertThatThrownBy(() -> DataDirectoryLock.acquire(dataDir))
                        .isInstanceOf(EmbeddedDatabaseUnavailable.class)
                        .hasMessageContaining("Data directory " + dataDir + " is in use by another Creditmeter process (pid "
                                + ProcessHandle.current().pid() + ")")
                        .hasMessageContaining("CREDITMETER_DATA_DIR");
            }
            assertThat(Files.readString(dataDir.resolve(DataDirectoryLock.FILE_NAME)).strip())
                    .isEqualTo(Long.toString(ProcessHandle.current().pid()));
        }
        DataDirectoryLock.acquire(dataDir).close();
    }
}
