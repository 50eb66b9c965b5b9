package dev.creditmeter.bench;

import dev.creditmeter.ApiTest;
import dev.creditmeter.FakeOpenRouter;
import dev.creditmeter.FakeOpenRouter.ChatAnswer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the metered gateway adds to a chat completion: the same request sent to the fake OpenRouter directly
 * and through {@code POST /v1/chat/completions} (platform key: admission, hold, forward, capture), one of
 * each per 20 ms slot (50 gateway calls a second), in alternating order, and in the same slot a
 * {@code GET /actuator/health/liveness}: the service's HTTP stack alone, a floor under what a proxy in front
 * of upstream adds. Then, for streams, the time from upstream flushing its first event to the client reading
 * it, directly and through the gateway. Client, service and fake upstream share this JVM and its clock. Run with:
 * {@code ./mvnw -B -o test -Dtest=GatewayBenchmark -Dexcluded.groups=none}
 */
@Tag("benchmark")
class GatewayBenchmark extends ApiTest {

    private static final long SLOT_NANOS = 20_000_000; // 50 gateway calls per second
    private static final int WARMUP_CALLS = 500;
    private static final int CALLS = 1_500;
    private static final int WARMUP_STREAMS = 20;
    private static final int STREAMS = 100;
    private static final long STREAM_GAP_MILLIS = 20;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void addedLatencyOverCallingUpstreamDirectly() throws Exception {
        String user = "bench-gateway-" + newUserId();
        assertThat(allocate(user, "1000000").status()).isEqualTo(200);
        // Enterprise: no call quota to run out of (trial allows 100 calls a day).
        assertThat(api.post(adminKey(), "/api/v1/credits/tiers/switch",
                "{\"user_id\":\"" + user + "\",\"new_tier\":\"enterprise\"}").status()).isEqualTo(200);
        String token = keyFor(user, "user");

        String model = "bench/model-" + UUID.randomUUID();
        FakeOpenRouter.answerChat(model, new ChatAnswer(200, FakeOpenRouter.completion(model, 120, 40, "0.0007"), 0));
        String body = "{\"model\":\"" + model + "\",\"max_tokens\":100,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
        HttpRequest direct = post(URI.create(FakeOpenRouter.baseUrl() + "/chat/completions"), FakeOpenRouter.PLATFORM_KEY, body);
        HttpRequest viaGateway = post(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"), token, body);
        HttpRequest liveness = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health/liveness"))
                .build();

        paced(WARMUP_CALLS, direct, viaGateway, liveness);
        long[][] measured = paced(CALLS, direct, viaGateway, liveness);
        long[] directNanos = measured[0];
        long[] gatewayNanos = measured[1];
        long[] livenessNanos = measured[2];
        long[] differenceNanos = new long[CALLS];
        for (int i = 0; i < CALLS; i++) {
            differenceNanos[i] = gatewayNanos[i] - directNanos[i];
        }
        Arrays.sort(directNanos);
        Arrays.sort(gatewayNanos);
        Arrays.sort(livenessNanos);
        Arrays.sort(differenceNanos);

        String streamModel = "bench/stream-" + UUID.randomUUID();
        FakeOpenRouter.answerChatPaced(streamModel, List.of(
                "data: {\"id\":\"gen-b\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n",
                "data: {\"id\":\"gen-b\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n",
                "data: {\"id\":\"gen-b\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"cost\":0.0007}}\n\n",
                "data: [DONE]\n\n"), STREAM_GAP_MILLIS);
        String streamBody = "{\"model\":\"" + streamModel + "\",\"stream\":true,\"max_tokens\":100,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
        HttpRequest directStream = post(URI.create(FakeOpenRouter.baseUrl() + "/chat/completions"),
                FakeOpenRouter.PLATFORM_KEY, streamBody);
        HttpRequest gatewayStream = post(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"), token, streamBody);
        firstChunks(WARMUP_STREAMS, directStream, gatewayStream, streamModel);
        long[][] chunks = firstChunks(STREAMS, directStream, gatewayStream, streamModel);
        Arrays.sort(chunks[0]);
        Arrays.sort(chunks[1]);

        System.out.println();
        System.out.printf(Locale.ROOT, "BENCHMARK gateway: %d calls at 50/s after %d warm-up, %d streams (events %d ms apart)%n",
                CALLS, WARMUP_CALLS, STREAMS, STREAM_GAP_MILLIS);
        System.out.println(line("upstream directly", directNanos));
        System.out.println(line("through the gateway", gatewayNanos));
        System.out.println(line("service HTTP stack alone (liveness)", livenessNanos));
        System.out.println(line("gateway - direct, per pair", differenceNanos));
        System.out.printf(Locale.ROOT, "BENCHMARK %-36s p50 %7.2f ms   p99 %7.2f ms%n", "added latency (gateway p - direct p)",
                (percentile(gatewayNanos, 0.5) - percentile(directNanos, 0.5)) / 1e6,
                (percentile(gatewayNanos, 0.99) - percentile(directNanos, 0.99)) / 1e6);
        System.out.println(line("first chunk, upstream directly", chunks[0]));
        System.out.println(line("first chunk, through the gateway", chunks[1]));
        System.out.printf(Locale.ROOT, "BENCHMARK %-36s p50 %7.2f ms%n", "first chunk added by the gateway",
                (percentile(chunks[1], 0.5) - percentile(chunks[0], 0.5)) / 1e6);

        var account = balanceOf(user);
        assertThat(account.path("held").decimalValue()).isEqualByComparingTo("0");
        assertLedgerConsistent();
    }

    private HttpRequest post(URI uri, String token, String body) {
        return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /**
     * n slots of 20 ms, each with one direct and one gateway call, their order alternating, then a liveness
     * request; latencies in ns.
     */
    private long[][] paced(int n, HttpRequest direct, HttpRequest viaGateway, HttpRequest liveness) throws Exception {
        long[] directNanos = new long[n];
        long[] gatewayNanos = new long[n];
        long[] livenessNanos = new long[n];
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long slot = start + i * SLOT_NANOS;
            long wait = slot - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            if (i % 2 == 0) {
                directNanos[i] = timed(direct);
                gatewayNanos[i] = timed(viaGateway);
            } else {
                gatewayNanos[i] = timed(viaGateway);
                directNanos[i] = timed(direct);
            }
            livenessNanos[i] = timed(liveness);
        }
        return new long[][] {directNanos, gatewayNanos, livenessNanos};
    }

    private long timed(HttpRequest request) throws Exception {
        long t0 = System.nanoTime();
        var response = client.send(request, HttpResponse.BodyHandlers.ofString());
        long nanos = System.nanoTime() - t0;
        if (response.statusCode() != 200) {
            throw new IllegalStateException(response.statusCode() + " " + response.body());
        }
        return nanos;
    }

    /** For n streams each way: from upstream flushing its first event to the client reading it, in ns. */
    private long[][] firstChunks(int n, HttpRequest direct, HttpRequest viaGateway, String model) throws Exception {
        long[] directNanos = new long[n];
        long[] gatewayNanos = new long[n];
        for (int i = 0; i < n; i++) {
            directNanos[i] = firstChunk(direct, model);
            gatewayNanos[i] = firstChunk(viaGateway, model);
        }
        return new long[][] {directNanos, gatewayNanos};
    }

    private long firstChunk(HttpRequest request, String model) throws Exception {
        var response = client.send(request, HttpResponse.BodyHandlers.ofLines());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("stream answered " + response.statusCode());
        }
        long firstAt = 0;
        boolean done = false;
        for (var lines = response.body().iterator(); lines.hasNext(); ) {
            String line = lines.next();
            if (firstAt == 0 && line.startsWith("data:")) {
                firstAt = System.nanoTime();
            }
            done |= line.equals("data: [DONE]");
        }
        assertThat(done).isTrue();
        return firstAt - FakeOpenRouter.pacedSentAt(model).getFirst();
    }

    private static double percentile(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))];
    }

    private static String line(String name, long[] sorted) {
        return String.format(Locale.ROOT, "BENCHMARK %-36s p50 %7.2f ms   p90 %7.2f ms   p99 %7.2f ms   max %7.2f ms",
                name, percentile(sorted, 0.5) / 1e6, percentile(sorted, 0.9) / 1e6, percentile(sorted, 0.99) / 1e6,
                sorted[sorted.length - 1] / 1e6);
    }
}
