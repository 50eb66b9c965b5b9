package dev.creditmeter.events;

import com.standardwebhooks.Webhook;
import com.zaxxer.hikari.HikariDataSource;
import dev.creditmeter.ApiTest;
import dev.creditmeter.ServiceProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Webhook endpoints against a local receiver: signed, retried, ordered, disabled, replayed, on two nodes. */
class WebhooksTest extends ApiTest {

    private static final String WEBHOOKS = "/api/v1/credits/admin/webhooks";
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Autowired
    JsonMapper json;
    @Autowired
    HikariDataSource dataSource;

    private final List<Long> endpoints = new ArrayList<>();
    private final List<WebhookReceiver> receivers = new ArrayList<>();

    @AfterEach
    void removeEndpoints() {
        endpoints.forEach(id -> api.delete(adminKey(), WEBHOOKS + "/" + id));
        receivers.forEach(WebhookReceiver::close);
    }

    private WebhookReceiver receiver(int failures) {
        var receiver = new WebhookReceiver(failures);
        receivers.add(receiver);
        return receiver;
    }

    private JsonNode register(String url, String... types) {
        String list = java.util.Arrays.stream(types).map(t -> "\"" + t + "\"").collect(Collectors.joining(","));
        var created = api.post(adminKey(), WEBHOOKS, "{\"url\":\"" + url + "\",\"event_types\":[" + list + "]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        endpoints.add(created.json().path("id").asLong());
        return created.json();
    }

    private Predicate<WebhookReceiver.Received> forUser(String user) {
        return r -> json.readTree(r.body()).path("user_id").asString().equals(user);
    }

    private static Map<String, List<String>> headers(WebhookReceiver.Received received) {
        Map<String, List<String>> headers = new HashMap<>();
        received.headers().forEach((name, values) -> headers.put(name.toLowerCase(java.util.Locale.ROOT), values));
        return headers;
    }

    @Test
    void deliversASignedEventThatTheStandardWebhooksLibraryVerifies() throws Exception {
        var receiver = receiver(0);
        var endpoint = register(receiver.url(), "credits.added");
        String secret = endpoint.path("secret").asString();
        assertThat(secret).startsWith("whsec_");
        assertThat(endpoint.path("enabled").asBoolean()).isTrue();
        assertThat(endpoint.path("event_types").get(0).asString()).isEqualTo("credits.added");

        String user = newUserId();
        assertThat(allocate(user, "2.5").status()).isEqualTo(200);
        var got = receiver.awaitMatching(forUser(user), 1, WAIT);
        assertThat(got).hasSize(1);
        var delivery = got.getFirst();

        assertThatCode(() -> new Webhook(secret).verify(delivery.body(), headers(delivery))).doesNotThrowAnyException();
        assertThatThrownBy(() -> new Webhook(secret).verify(delivery.body().replace("2.5", "25"), headers(delivery)))
                .isInstanceOf(com.standardwebhooks.exceptions.WebhookVerificationException.class);
        JsonNode body = json.readTree(delivery.body());
        assertThat(delivery.header("webhook-id")).isEqualTo(Long.toString(body.path("id").asLong()));
        assertThat(body.path("type").asString()).isEqualTo("credits.added");
        assertThat(body.path("data").path("amount").decimalValue()).isEqualByComparingTo("2.5");

        var polled = api.get(adminKey(), "/api/v1/credits/events?user_id=" + user + "&type=credits.added").json();
        assertThat(body).as("the webhook body is the object GET /events lists").isEqualTo(polled.get(0));

        var listed = api.get(adminKey(), WEBHOOKS + "/" + endpoint.path("id").asLong());
        assertThat(listed.body()).doesNotContain(secret).doesNotContain("secret");
        assertThat(api.get(adminKey(), WEBHOOKS).body()).doesNotContain(secret);
        assertThat(java.nio.file.Files.readString(LOG_FILE)).doesNotContain(secret);

        String metrics = api.get(adminKey(), "/actuator/prometheus").body();
        assertThat(metrics).contains("creditmeter_webhooks_deliveries_total{outcome=\"delivered\"}")
                .contains("creditmeter_events_written_total").contains("creditmeter_webhooks_oldest_undelivered_age_seconds")
                .doesNotContain(secret);
    }

    @Test
    void aReceiverThatFailsThreeTimesGetsTheEventAgainWithTheSameWebhookId() throws Exception {
        var receiver = receiver(3);
        var endpoint = register(receiver.url(), "credits.added");
        String user = newUserId();
        allocate(user, "1");

        var got = receiver.awaitMatching(forUser(user), 4, WAIT);
        assertThat(got).hasSize(4);
        assertThat(got.stream().map(r -> r.header("webhook-id")).distinct()).hasSize(1);
        assertThat(got.stream().map(WebhookReceiver.Received::body).distinct()).hasSize(1);

        Thread.sleep(300); // nothing more comes once it succeeded
        assertThat(receiver.received().stream().filter(forUser(user))).hasSize(4);
        var log = api.get(adminKey(), WEBHOOKS + "/" + endpoint.path("id").asLong() + "/deliveries").json();
        JsonNode delivery = log.get(0);
        assertThat(delivery.path("status").asString()).isEqualTo("delivered");
        assertThat(delivery.path("attempts").asInt()).isEqualTo(4);
        assertThat(delivery.path("response_status").asInt()).isEqualTo(204);
        assertThat(delivery.path("latency_ms").isNumber()).isTrue();
    }

    @Test
    void anEndpointThatKeepsFailingIsDisabledAndThatIsAnEvent() throws Exception {
        var failing = receiver(Integer.MAX_VALUE);
        var endpoint = register(failing.url(), "credits.added");
        long id = endpoint.path("id").asLong();
        String user = newUserId();
        allocate(user, "1");

        var got = failing.awaitMatching(forUser(user), 5, WAIT);
        assertThat(got).as("the first attempt and four retries").hasSize(5);
        JsonNode after = awaitEndpoint(id, e -> !e.path("enabled").asBoolean());
        assertThat(after.path("disabled_reason").asString()).contains("failed 5 times").contains("HTTP 500");
        var disabled = api.get(adminKey(), "/api/v1/credits/events?type=webhook.disabled").json();
        assertThat(disabled.valueStream().anyMatch(e -> e.path("data").path("webhook_id").asLong() == id)).isTrue();

        allocate(user, "1"); // not sent to a disabled endpoint
        Thread.sleep(500);
        assertThat(failing.received().stream().filter(forUser(user))).hasSize(5);

        var enabled = api.patch(adminKey(), WEBHOOKS + "/" + id, "{\"enabled\":true}");
        assertThat(enabled.status()).as(enabled.body()).isEqualTo(200);
        assertThat(enabled.json().path("disabled_reason").isNull()).isTrue();
    }

    private JsonNode awaitEndpoint(long id, Predicate<JsonNode> condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        JsonNode endpoint = null;
        while (Instant.now().isBefore(deadline)) {
            endpoint = api.get(adminKey(), WEBHOOKS + "/" + id).json();
            if (condition.test(endpoint)) {
                return endpoint;
            }
            Thread.sleep(100);
        }
        return endpoint;
    }

    @Test
    void afterARotationBothSecretsSignForTheOverlap() throws Exception {
        var receiver = receiver(0);
        var endpoint = register(receiver.url(), "credits.added");
        long id = endpoint.path("id").asLong();
        String old = endpoint.path("secret").asString();
        var rotated = api.post(adminKey(), WEBHOOKS + "/" + id + "/rotate-secret", "");
        assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
        String fresh = rotated.json().path("secret").asString();
        assertThat(fresh).startsWith("whsec_").isNotEqualTo(old);
        assertThat(Instant.parse(rotated.json().path("previous_secret_expires_at").asString()))
                .isAfter(Instant.now().plus(Duration.ofHours(23)));

        String user = newUserId();
        allocate(user, "1");
        var delivery = receiver.awaitMatching(forUser(user), 1, WAIT).getFirst();
        assertThat(delivery.header("webhook-signature").split(" ")).hasSize(2).allMatch(s -> s.startsWith("v1,"));
        assertThatCode(() -> new Webhook(fresh).verify(delivery.body(), headers(delivery))).doesNotThrowAnyException();
        assertThatCode(() -> new Webhook(old).verify(delivery.body(), headers(delivery))).doesNotThrowAnyException();
    }

    @Test
    void aReplaySendsTheEventAgainWithItsWebhookId() throws Exception {
        var receiver = receiver(0);
        var endpoint = register(receiver.url(), "credits.added");
        long id = endpoint.path("id").asLong();
        String user = newUserId();
        Instant before = Instant.now().minusSeconds(1);
        allocate(user, "1");
        allocate(user, "2");
        var first = receiver.awaitMatching(forUser(user), 2, WAIT);
        assertThat(first).hasSize(2);
        String eventId = first.getFirst().header("webhook-id");

        var one = api.post(adminKey(), WEBHOOKS + "/" + id + "/replay", "{\"event_id\":" + eventId + "}");
        assertThat(one.status()).as(one.body()).isEqualTo(202);
        var again = receiver.awaitMatching(forUser(user), 3, WAIT);
        assertThat(again.get(2).header("webhook-id")).isEqualTo(eventId);
        assertThat(again.get(2).body()).isEqualTo(first.getFirst().body());

        var range = api.post(adminKey(), WEBHOOKS + "/" + id + "/replay",
                "{\"since\":\"" + before + "\",\"until\":\"" + Instant.now().plusSeconds(1) + "\"}");
        assertThat(range.status()).as(range.body()).isEqualTo(202);
        assertThat(range.json().path("events").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(receiver.awaitMatching(forUser(user), 5, WAIT)).hasSize(5);

        assertThat(api.post(adminKey(), WEBHOOKS + "/" + id + "/replay", "{\"event_id\":999999999}").status())
                .isEqualTo(404);
        assertThat(api.post(adminKey(), WEBHOOKS + "/" + id + "/replay", "{}").status()).isEqualTo(422);
    }

    @Test
    void aTestSendDeliversOnceAndAnswersTheDelivery() throws Exception {
        var receiver = receiver(0);
        long id = register(receiver.url(), "balance.low").path("id").asLong();
        var sent = api.post(adminKey(), WEBHOOKS + "/" + id + "/test", "");
        assertThat(sent.status()).as(sent.body()).isEqualTo(200);
        assertThat(sent.json().path("status").asString()).isEqualTo("delivered");
        assertThat(sent.json().path("event_type").asString()).isEqualTo("webhook.test");
        var got = receiver.received();
        assertThat(got).hasSize(1);
        assertThat(json.readTree(got.getFirst().body()).path("data").path("webhook_id").asLong()).isEqualTo(id);
    }

    @Test
    void endpointsAreValidatedAndOnlyForAdmins() {
        var badUrl = api.post(adminKey(), WEBHOOKS, "{\"url\":\"ftp://example.com/x\",\"event_types\":[\"balance.low\"]}");
        assertThat(badUrl.status()).isEqualTo(422);
        assertThat(badUrl.json().path("errors").get(0).path("field").asString()).isEqualTo("url");
        var badType = api.post(adminKey(), WEBHOOKS, "{\"url\":\"http://127.0.0.1:9/x\",\"event_types\":[\"nope\"]}");
        assertThat(badType.status()).isEqualTo(422);
        assertThat(badType.json().path("errors").get(0).path("field").asString()).isEqualTo("event_types");
        assertThat(api.post(adminKey(), WEBHOOKS, "{\"url\":\"http://127.0.0.1:9/x\",\"event_types\":[]}").status())
                .isEqualTo(422);

        String service = keyFor("svc-" + UUID.randomUUID(), "service");
        String user = keyFor(newUserId(), "user");
        String body = "{\"url\":\"http://127.0.0.1:9/x\",\"event_types\":[\"balance.low\"]}";
        assertThat(api.post(service, WEBHOOKS, body).status()).isEqualTo(403);
        assertThat(api.get(service, WEBHOOKS).status()).isEqualTo(403);
        assertThat(api.post(user, WEBHOOKS, body).status()).isEqualTo(403);
        assertThat(api.get(adminKey(), WEBHOOKS + "/987654321").status()).isEqualTo(404);
    }

    @Test
    void twoNodesDeliverEveryEventOnceAndEachAccountsInOrder() throws Exception {
        var receiver = receiver(0);
        register(receiver.url(), "credits.added");
        Path dataDir = Path.of("target", "test-data", "node-" + UUID.randomUUID()).toAbsolutePath();
        ServiceProcess node = ServiceProcess.sharing(dataSource, dataDir,
                "--creditmeter.webhooks.allow-private-targets=true", "--creditmeter.webhooks.poll-interval=100ms");
        try {
            List<String> users = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                users.add(newUserId());
            }
            var answers = inParallel(100, i -> {
                String user = users.get(i % users.size());
                String body = "{\"user_id\":\"" + user + "\",\"amount\":1,\"source\":\"test\"}";
                return i % 2 == 0 ? api.post(adminKey(), "/api/v1/credits/allocate", body)
                        : node.api().post(adminKey(), "/api/v1/credits/allocate", body);
            });
            assertThat(answers).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));

            Predicate<WebhookReceiver.Received> ours = r -> users.contains(json.readTree(r.body()).path("user_id").asString());
            var got = receiver.awaitMatching(ours, 100, WAIT);
            Thread.sleep(500);
            got = receiver.received().stream().filter(ours).toList();
            assertThat(got).hasSize(100);
            assertThat(got.stream().map(r -> r.header("webhook-id")).distinct()).hasSize(100);
            Map<String, List<Long>> sequences = new HashMap<>();
            got.forEach(r -> {
                JsonNode event = json.readTree(r.body());
                sequences.computeIfAbsent(event.path("user_id").asString(), u -> new ArrayList<>())
                        .add(event.path("sequence").asLong());
            });
            sequences.values().forEach(list -> assertThat(list).isSorted());
        } finally {
            node.stop();
        }
    }
}
