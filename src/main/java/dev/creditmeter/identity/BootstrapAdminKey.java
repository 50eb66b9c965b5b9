package dev.creditmeter.identity;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * On the first start with an empty database, issues an admin API key, writes it to a new owner-only
 * file in the data directory ({@code admin.key} for the embedded database; see {@link AdminKeyFile})
 * and prints it once. Several nodes starting together agree on one key through an advisory lock.
 */
@Component
class BootstrapAdminKey implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(BootstrapAdminKey.class);
    private static final long LOCK_ID = 0x637265646b6579L; // "credkey"

    private final ApiKeys keys;
    private final ApiKeyService service;
    private final JdbcClient jdbc;
    private final TransactionTemplate transactions;
    private final Path dataDir;
    private final String externalUrl;

    BootstrapAdminKey(ApiKeys keys, ApiKeyService service, JdbcClient jdbc, TransactionTemplate transactions,
                      @Value("${creditmeter.data-dir}") Path dataDir,
                      @Value("${spring.datasource.url:}") String externalUrl) {
        this.keys = keys;
        this.service = service;
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.dataDir = dataDir;
        this.externalUrl = externalUrl;
    }

    @Override
    public void run(ApplicationArguments args) {
        Optional<String> secret = transactions.execute(status -> {
            jdbc.sql("select pg_advisory_xact_lock(:id)").param("id", LOCK_ID).query().singleValue();
            if (keys.any()) {
                return Optional.<String>empty();
            }
            return Optional.of(service.issue("admin", Role.ADMIN, "bootstrap", "system").secret());
        });
        secret.ifPresent(this::publish);
    }

    private void publish(String secret) {
        Path preferred = AdminKeyFile.preferred(dataDir, externalUrl).toAbsolutePath();
        Path file;
        try {
            file = AdminKeyFile.write(dataDir, externalUrl, secret);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write the admin key next to " + preferred, e);
        }
        if (!file.equals(preferred)) {
            log.warn("{} already exists and is kept: it may be the admin key of another database", preferred);
        }
        log.info("Bootstrap admin API key (printed only this once; also in {}): {}", file, secret);
    }
}
