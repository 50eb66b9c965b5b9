package dev.creditmeter.identity;

import com.zaxxer.hikari.HikariDataSource;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The callers of recently used API keys, so that authenticating a request costs no database round trip.
 * <p>
 * Revocation stays immediate on every node: revoking a key sends a PostgreSQL {@code NOTIFY} in the
 * revoking transaction, and each node keeps one connection that {@code LISTEN}s and empties its cache
 * when the notification arrives, right after the commit. The cache is used only while that connection
 * is listening: when it is lost, the cache is emptied and every request reads the database again until
 * it listens anew. An entry also expires after {@code creditmeter.security.api-key-cache-ttl} (30 s) as
 * a backstop, and the cache holds at most {@value #MAX_ENTRIES} keys. Unknown keys are not cached.
 */
@Component
class ApiKeyCache implements SmartLifecycle {

    static final String CHANNEL = "creditmeter_api_keys";
    private static final Logger log = LoggerFactory.getLogger(ApiKeyCache.class);
    private static final int MAX_ENTRIES = 10_000;
    private static final Duration POLL = Duration.ofSeconds(5);
    private static final Duration RECONNECT_DELAY = Duration.ofSeconds(1);

    private record Entry(Caller caller, long expiresAtNanos) {
    }

    private final Map<ByteBuffer, Entry> entries = new ConcurrentHashMap<>();
    /** Moves on at every invalidation, so that a lookup that raced one does not store what it read. */
    private final AtomicLong generation = new AtomicLong();
    private final HikariDataSource dataSource;
    private final JdbcClient jdbc;
    private final long ttlNanos;
    private volatile boolean listening;
    private volatile boolean running;
    private volatile Connection connection;

    ApiKeyCache(HikariDataSource dataSource, JdbcClient jdbc,
                @Value("${creditmeter.security.api-key-cache-ttl:30s}") Duration ttl) {
        this.dataSource = dataSource;
        this.jdbc = jdbc;
        this.ttlNanos = ttl.toNanos();
    }

    /** The caller of the key with this hash: from the cache while it is trustworthy, else from {@code load}. */
    Optional<Caller> get(byte[] hash, Supplier<Optional<Caller>> load) {
        if (!listening || ttlNanos <= 0) {
            return load.get();
        }
        ByteBuffer key = ByteBuffer.wrap(hash);
        long now = System.nanoTime();
        Entry entry = entries.get(key);
        if (entry != null && now - entry.expiresAtNanos() < 0) {
            return Optional.of(entry.caller());
        }
        long seen = generation.get();
        Optional<Caller> loaded = load.get();
        if (loaded.isPresent() && listening && generation.get() == seen) {
            if (entries.size() >= MAX_ENTRIES) {
                entries.clear();
            }
            Entry stored = new Entry(loaded.get(), now + ttlNanos);
            entries.put(key, stored);
            if (generation.get() != seen) {
                entries.remove(key, stored); // an invalidation slipped in between the check and the put
            }
        }
        return loaded;
    }

    /** Forgets every key: the listener calls it for every revocation, on every node. */
    void invalidateAll() {
        generation.incrementAndGet();
        entries.clear();
    }

    /**
     * Called in the revoking transaction: tells every node, at commit, to forget its keys, and forgets them
     * here right after the commit, before the revoking request is answered.
     */
    void revokedInThisTransaction() {
        jdbc.sql("select pg_notify('" + CHANNEL + "', '')").query().listOfRows();
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                invalidateAll();
            }
        });
    }

    /** Whether the cache is in use: its connection listens for revocations. */
    boolean listening() {
        return listening;
    }

    @Override
    public void start() {
        running = true;
        Thread.ofPlatform().daemon().name("api-key-cache-listener").start(this::listen);
    }

    @Override
    public void stop() {
        running = false;
        listening = false;
        invalidateAll();
        Connection open = connection;
        if (open != null) {
            try {
                open.close(); // unblocks the listener's wait
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void listen() {
        while (running) {
            try (Connection connection = connect()) {
                this.connection = connection;
                try (var statement = connection.createStatement()) {
                    statement.execute("LISTEN " + CHANNEL);
                }
                PGConnection notifications = connection.unwrap(PGConnection.class);
                // Whatever was revoked while nobody listened is unknown: start empty.
                invalidateAll();
                listening = true;
                while (running) {
                    var received = notifications.getNotifications((int) POLL.toMillis());
                    if (received != null && received.length > 0) {
                        invalidateAll();
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (running) {
                    log.warn("API key cache: not listening for revocations ({}); reading every key from the database",
                            e.getClass().getSimpleName());
                }
            } finally {
                listening = false;
                connection = null;
                invalidateAll();
            }
            sleep(RECONNECT_DELAY);
        }
    }

    /** Its own connection, outside the pool: it is held for as long as the node runs. */
    private Connection connect() throws SQLException {
        Properties properties = new Properties();
        properties.putAll(dataSource.getDataSourceProperties());
        if (dataSource.getUsername() != null) {
            properties.setProperty("user", dataSource.getUsername());
        }
        if (dataSource.getPassword() != null) {
            properties.setProperty("password", dataSource.getPassword());
        }
        properties.setProperty("ApplicationName", "creditmeter-api-key-cache");
        return DriverManager.getConnection(dataSource.getJdbcUrl(), properties);
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
