package dev.creditmeter.byok;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;

/**
 * Encrypts users' OpenRouter keys at rest with a Fernet keyring: the first key encrypts, every key
 * decrypts, so keys can be rotated by putting a new one first and re-encrypting ({@link #reseal}).
 * The keyring comes from {@code creditmeter.byok.encryption-keys} (comma-separated, newest first), or
 * else from {@code <data-dir>/byok.key}, generated with owner-only permissions on first use.
 *
 * <p>The plaintext binds the owner: {@code creditmeter:v1:<user id>\n<secret>}. A ciphertext copied to
 * another user's row does not open. Tokens from the old system hold the bare secret; they open only
 * through {@link #openLegacy}, which a migration uses once and then reseals.
 */
@Component
class KeyVault {

    private static final Logger log = LoggerFactory.getLogger(KeyVault.class);
    private static final String BINDING = "creditmeter:v1:";

    private final List<Fernet> keyring;
    private final Clock clock;

    @Autowired
    KeyVault(@Value("${creditmeter.byok.encryption-keys:}") String configuredKeys,
             @Value("${creditmeter.data-dir}") Path dataDir, Clock clock) {
        this.clock = clock;
        List<String> keys = Arrays.stream(configuredKeys.split(",")).map(String::strip).filter(k -> !k.isEmpty()).toList();
        this.keyring = (keys.isEmpty() ? List.of(keyFile(dataDir)) : keys).stream().map(Fernet::new).toList();
    }

    KeyVault(List<String> keys, Clock clock) {
        this.clock = clock;
        this.keyring = keys.stream().map(Fernet::new).toList();
    }

    String seal(String ownerUserId, String secret) {
        byte[] plaintext = (BINDING + ownerUserId + "\n" + secret).getBytes(StandardCharsets.UTF_8);
        return keyring.getFirst().encrypt(plaintext, clock.instant());
    }

    /** @throws Fernet.InvalidTokenException when no key opens it or it belongs to another user */
    String open(String ownerUserId, String token) {
        String plaintext = new String(decrypt(token), StandardCharsets.UTF_8);
        String prefix = BINDING + ownerUserId + "\n";
        if (!plaintext.startsWith(prefix)) {
            throw new Fernet.InvalidTokenException();
        }
        return plaintext.substring(prefix.length());
    }

    /** A token made by the old system, holding the bare key. */
    String openLegacy(String token) {
        return new String(decrypt(token), StandardCharsets.UTF_8);
    }

    /** The same secret under the newest key, for rotation. */
    String reseal(String ownerUserId, String token) {
        return seal(ownerUserId, open(ownerUserId, token));
    }

    private byte[] decrypt(String token) {
        for (Fernet key : keyring) {
            try {
                return key.decrypt(token);
            } catch (Fernet.InvalidTokenException tryNext) {
                // an older key may have made it
            }
        }
        throw new Fernet.InvalidTokenException();
    }

    private static String keyFile(Path dataDir) {
        Path file = dataDir.resolve("byok.key");
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(dataDir);
                Path staging = Files.createTempFile(dataDir, "byok-", ".key",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(staging, Fernet.generateKey() + "\n");
                try {
                    // link(2) fails if the file exists: of two nodes starting together, exactly one key wins.
                    Files.createLink(file, staging);
                    log.info("Generated the BYOK encryption key in {}", file.toAbsolutePath());
                } catch (FileAlreadyExistsException raced) {
                    // another process created it first; use theirs
                } finally {
                    Files.deleteIfExists(staging);
                }
            }
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read or create " + file, e);
        }
    }
}
