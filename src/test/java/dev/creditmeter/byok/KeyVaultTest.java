package dev.creditmeter.byok;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyVaultTest {

    private static final String SECRET = "sk-or-v1-0123456789abcdef0123456789abcdef";

    private static Properties python() throws IOException {
        var properties = new Properties();
        try (InputStream in = KeyVaultTest.class.getResourceAsStream("/byok/python-fernet.properties")) {
            properties.load(in);
        }
        return properties;
    }

    @Test
    void opensATokenMadeByPythonsFernet() throws IOException {
        var made = python();
        var vault = new KeyVault(List.of(made.getProperty("key")), Clock.systemUTC());

        assertThat(vault.openLegacy(made.getProperty("token"))).isEqualTo(made.getProperty("plaintext"));
    }

    @Test
    void makesTokensInTheFernetFormat() throws IOException {
        var key = python().getProperty("key");
        var fernet = new Fernet(key);
        String token = fernet.encrypt("hello".getBytes(), java.time.Instant.parse("2026-01-01T00:00:00Z"));

        assertThat(token).startsWith("gAAAAA"); // version byte 0x80 and a 64-bit timestamp
        assertThat(new String(new Fernet(key).decrypt(token))).isEqualTo("hello");
    }

    @Test
    void rotationKeepsOldTokensReadableAndResealsThemWithTheNewestKey() {
        String oldKey = Fernet.generateKey();
        String newKey = Fernet.generateKey();
        String token = new KeyVault(List.of(oldKey), Clock.systemUTC()).seal("alice", SECRET);

        var rotated = new KeyVault(List.of(newKey, oldKey), Clock.systemUTC());
        assertThat(rotated.open("alice", token)).isEqualTo(SECRET);
        String resealed = rotated.reseal("alice", token);

        assertThat(new KeyVault(List.of(newKey), Clock.systemUTC()).open("alice", resealed)).isEqualTo(SECRET);
        assertThatThrownBy(() -> new KeyVault(List.of(oldKey), Clock.systemUTC()).open("alice", resealed))
                .isInstanceOf(Fernet.InvalidTokenException.class);
    }

    @Test
    void aTokenMovedToAnotherUserDoesNotOpen() {
        var vault = new KeyVault(List.of(Fernet.generateKey()), Clock.systemUTC());
        String token = vault.seal("alice", SECRET);

        assertThatThrownBy(() -> vault.open("mallory", token)).isInstanceOf(Fernet.InvalidTokenException.class)
                .hasMessageNotContaining(SECRET);
        assertThatThrownBy(() -> vault.open("alic", token)).isInstanceOf(Fernet.InvalidTokenException.class);
        assertThat(token).doesNotContain(SECRET).doesNotContain("sk-or");
    }

    @Test
    void rejectsTamperedAndForeignTokens() {
        var vault = new KeyVault(List.of(Fernet.generateKey()), Clock.systemUTC());
        String token = vault.seal("alice", SECRET);
        char[] chars = token.toCharArray();
        chars[40] = chars[40] == 'A' ? 'B' : 'A';

        assertThatThrownBy(() -> vault.open("alice", new String(chars))).isInstanceOf(Fernet.InvalidTokenException.class);
        assertThatThrownBy(() -> vault.open("alice", "not a token")).isInstanceOf(Fernet.InvalidTokenException.class);
        assertThatThrownBy(() -> new KeyVault(List.of(Fernet.generateKey()), Clock.systemUTC()).open("alice", token))
                .isInstanceOf(Fernet.InvalidTokenException.class);
    }

    @Test
    void generatesAnOwnerOnlyKeyFileOnceWhenNoKeysAreConfigured(@TempDir Path dataDir) throws IOException {
        var first = new KeyVault("", dataDir, Clock.systemUTC());
        String key = Files.readString(dataDir.resolve("byok.key")).strip();
        var second = new KeyVault("", dataDir, Clock.systemUTC());

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir.resolve("byok.key"))))
                .isEqualTo("rw-------");
        assertThat(Files.readString(dataDir.resolve("byok.key")).strip()).isEqualTo(key);
        assertThat(second.open("bob", first.seal("bob", SECRET))).isEqualTo(SECRET);
        try (var files = Files.list(dataDir)) {
            assertThat(files).hasSize(1);
        }
    }
}
