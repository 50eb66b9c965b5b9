package dev.creditmeter.identity;

import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The node's API-key cache against its real listening connection. */
class ApiKeyCacheTest extends ApiTest {

    @Autowired
    ApiKeyCache cache;

    private final Caller caller = new Caller("user-" + UUID.randomUUID(), Role.USER);
    private final byte[] hash = UUID.randomUUID().toString().getBytes();
    private final AtomicInteger loads = new AtomicInteger();

    @BeforeEach
    void listening() throws InterruptedException {
        for (int i = 0; i < 100 && !cache.listening(); i++) {
            Thread.sleep(50);
        }
        assertThat(cache.listening()).as("the cache listens for revocations").isTrue();
    }

    private Optional<Caller> load() {
        loads.incrementAndGet();
        return Optional.of(caller);
    }

    @Test
    void aKnownKeyIsReadOnceThenServedFromTheCache() {
        assertThat(cache.get(hash, this::load)).contains(caller);
        assertThat(cache.get(hash, this::load)).contains(caller);

        assertThat(loads).hasValue(1);
    }

    @Test
    void aLookupThatRacedAnInvalidationDoesNotKeepWhatItRead() {
        cache.get(hash, () -> {
            loads.incrementAndGet();
            cache.invalidateAll(); // a revocation arrives while the key is being read
            return Optional.of(caller);
        });
        cache.get(hash, this::load);

        assertThat(loads).as("the raced read was not kept").hasValue(2);
    }

    @Test
    void anUnknownKeyIsNotCached() {
        cache.get(hash, () -> {
            loads.incrementAndGet();
            return Optional.empty();
        });
        cache.get(hash, this::load);

        assertThat(loads).hasValue(2);
    }
}
