package dev.creditmeter;

import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Base of the HTTP tests: one running service on a random port, on its embedded PostgreSQL in a
 * fresh data directory, shared by every test class (Spring caches the context). Tests isolate
 * themselves by using fresh user ids.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(TestClock.Config.class)
public abstract class ApiTest {

    protected static final Path DATA_DIR = Path.of("target", "test-data", "run-" + UUID.randomUUID()).toAbsolutePath();
    protected static final Path LOG_FILE = DATA_DIR.resolve("creditmeter.log");
    protected static final JwtIssuer JWT = new JwtIssuer();
    /** The one origin allowed to call the gateway from a browser in these tests. */
    protected static final String GATEWAY_ORIGIN = "https://app.example.test";

    static {
        // Spring Boot sets up logging before @DynamicPropertySource values reach the environment, so
        // the log file is named as a system property, before the first context starts.
        System.setProperty("logging.file.name", LOG_FILE.toString());
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("creditmeter.data-dir", DATA_DIR::toString);
        registry.add("creditmeter.security.jwt.issuer-uri", JWT::issuer);
        registry.add("creditmeter.security.jwt.jwk-set-uri", JWT::jwkSetUri);
        registry.add("creditmeter.dashboard.oidc.client-id", () -> "creditmeter-dashboard");
        registry.add("creditmeter.dashboard.oidc.authorization-uri", JWT::authorizationUri);
        registry.add("creditmeter.dashboard.oidc.token-uri", JWT::tokenUri);
        registry.add("creditmeter.idempotency.wait", () -> "2s");
        registry.add("creditmeter.database.lock-timeout", () -> "2s");
        // Renewal tests call the job directly with a chosen time and rollover; the schedule must not race them.
        registry.add("creditmeter.tiers.renewal-initial-delay", () -> "1h");
        registry.add("creditmeter.openrouter.base-url", FakeOpenRouter::baseUrl);
        registry.add("creditmeter.openrouter.platform-key", () -> FakeOpenRouter.PLATFORM_KEY);
        registry.add("creditmeter.openrouter.retry-backoff", () -> "20ms");
        registry.add("creditmeter.gateway.cors.allowed-origins", () -> GATEWAY_ORIGIN);
        // Webhook tests deliver to a receiver on loopback, and retry after a tenth of a second.
        registry.add("creditmeter.webhooks.allow-private-targets", () -> "true");
        registry.add("creditmeter.webhooks.retry-schedule", () -> "100ms,100ms,100ms,100ms");
        registry.add("creditmeter.webhooks.poll-interval", () -> "100ms");
    }

    @LocalServerPort
    protected int port;

    protected Api api;

    @BeforeEach
    void connect() {
        api = new Api(port);
    }

    protected static String adminKey() {
        try {
            return Files.readString(DATA_DIR.resolve("admin.key")).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    protected static String newUserId() {
        return "user-" + UUID.randomUUID();
    }

    /** Issues an API key through the admin route, as an operator would. */
    protected String keyFor(String userId, String role) {
        var created = api.post(adminKey(), "/api/v1/credits/admin/api-keys",
                "{\"user_id\":\"" + userId + "\",\"role\":\"" + role + "\",\"label\":\"test\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().path("key").asString();
    }

    /** Charges 100 tiny usage events to a trial user: its daily call quota (100) is then spent. */
    protected void useUpCallQuota(String userId) {
        var events = new StringBuilder("{\"events\":[");
        for (int i = 0; i < 100; i++) {
            events.append(i == 0 ? "" : ",").append("{\"user_id\":\"").append(userId).append("\",\"event_id\":\"q")
                    .append(i).append("\",\"service\":\"chat\",\"cost\":0.0001}");
        }
        var recorded = api.post(adminKey(), "/api/v1/credits/usage/events", events.append("]}").toString());
        assertThat(recorded.status()).as(recorded.body()).isEqualTo(200);
    }

    protected JsonNode balanceOf(String userId) {
        var response = api.get(adminKey(), "/api/v1/credits/balance?user_id=" + userId);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json();
    }

    protected Api.Response allocate(String userId, String amount) {
        return api.post(adminKey(), "/api/v1/credits/allocate",
                "{\"user_id\":\"" + userId + "\",\"amount\":" + amount + ",\"source\":\"test\"}");
    }

    protected Api.Response deduct(String token, String userId, String amount, Map<String, String> headers) {
        return api.post(token, "/api/v1/credits/deduct",
                "{\"user_id\":\"" + userId + "\",\"amount\":" + amount + ",\"service\":\"llm\"}", headers);
    }

    /** Runs n calls at once, released together by a latch, and returns their answers in order. */
    protected static List<Api.Response> inParallel(int n, IntFunction<Api.Response> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Api.Response>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    start.await();
                    return call.apply(index);
                }));
            }
            start.countDown();
            List<Api.Response> responses = new ArrayList<>();
            for (var future : futures) {
                responses.add(future.get());
            }
            return responses;
        } finally {
            pool.shutdownNow();
        }
    }

    protected void assertLedgerConsistent() {
        var report = api.get(adminKey(), "/api/v1/credits/admin/ledger/verify");
        assertThat(report.status()).isEqualTo(200);
        assertThat(report.json().path("inconsistencies").isEmpty()).as(report.body()).isTrue();
        assertThat(report.json().path("consistent").asBoolean()).as(report.body()).isTrue();
    }
}
