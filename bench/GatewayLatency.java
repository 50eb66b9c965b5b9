import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * bench/run's gateway scenario: the same chat completion at a fixed rate, each time sent straight to the fake
 * upstream and through the gateway, one after the other, so that both see the same machine at the same moment.
 * <p>
 * Usage: {@code java bench/GatewayLatency.java <upstream base> <upstream key> <gateway base> <gateway keys>
 * <requests/s> <warm-up seconds> <seconds>}, the gateway keys separated by commas (the calls take turns among
 * them). Runs non-streaming calls, then streaming ones, each for the warm-up (calls one at a time, not counted)
 * and then the measured seconds at the fixed rate, where a request starts on schedule whether or not the one
 * before has finished (a slow answer does not lower the rate). Prints one line per series:
 * {@code <series> <count> <per second> <p50> <p90> <p99> <max> <errors>}, times in ms:
 * <ul>
 * <li>{@code direct}, {@code gateway}: non-streaming, from sending the request to having the whole answer;</li>
 * <li>{@code stream-direct}, {@code stream-gateway}: from upstream writing its first event (its
 * {@code bench_sent_us} stamp) to this client reading it.</li>
 * </ul>
 */
public class GatewayLatency {

    private static final Pattern SENT = Pattern.compile("\"bench_sent_us\":(\\d+)");
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).executor(Executors.newVirtualThreadPerTaskExecutor()).build();

    /** Where to send a call: the chat completions URL, and the bearer keys that calls take turns with. */
    record Target(URI uri, List<String> keys, AtomicLong calls) {
        Target(URI uri, String keys) {
            this(uri, List.of(keys.split(",")), new AtomicLong());
        }

        String nextKey() {
            return keys.get((int) (calls.getAndIncrement() % keys.size()));
        }
    }

    /** The times of one series in nanoseconds, and its failures. */
    record Series(String name, ConcurrentLinkedQueue<Long> nanos, AtomicLong errors) {
        Series(String name) {
            this(name, new ConcurrentLinkedQueue<>(), new AtomicLong());
        }
    }

    public static void main(String[] args) throws Exception {
        var direct = new Target(URI.create(args[0] + "/chat/completions"), args[1]);
        var gateway = new Target(URI.create(args[2] + "/v1/chat/completions"), args[3]);
        double rate = Double.parseDouble(args[4]);
        Duration warmUp = Duration.ofSeconds(Long.parseLong(args[5]));
        Duration measured = Duration.ofSeconds(Long.parseLong(args[6]));

        for (boolean stream : new boolean[] {false, true}) {
            String prefix = stream ? "stream-" : "";
            warmUp(stream, direct, gateway, warmUp);
            var throughDirect = new Series(prefix + "direct");
            var throughGateway = new Series(prefix + "gateway");
            run(stream, direct, gateway, rate, measured, throughDirect, throughGateway);
            for (Series series : List.of(throughDirect, throughGateway)) {
                print(series, measured);
            }
        }
    }

    /**
     * Calls one after the other, each when the one before has answered: the service compiles its gateway path
     * without a queue building up, which at a fixed rate could outlast the warm-up.
     */
    private static void warmUp(boolean stream, Target direct, Target gateway, Duration duration) {
        var ignored = new Series("warm-up");
        long end = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < end) {
            call(stream, direct, ignored);
            call(stream, gateway, ignored);
        }
    }

    /** Every 1/rate seconds for this long, a direct call and a gateway call, one after the other; waits for all. */
    private static void run(boolean stream, Target direct, Target gateway, double rate, Duration duration,
                            Series toDirect, Series toGateway) throws InterruptedException {
        long intervalNanos = (long) (1e9 / rate);
        long count = duration.toNanos() / intervalNanos;
        long start = System.nanoTime();
        try (var calls = Executors.newVirtualThreadPerTaskExecutor()) {
            for (long i = 0; i < count; i++) {
                long due = start + i * intervalNanos;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(Duration.ofNanos(wait));
                }
                boolean directFirst = i % 2 == 0; // the first call of a pair runs slower: take turns
                calls.submit(() -> {
                    call(stream, directFirst ? direct : gateway, directFirst ? toDirect : toGateway);
                    call(stream, directFirst ? gateway : direct, directFirst ? toGateway : toDirect);
                });
            }
        }
    }

    private static void call(boolean stream, Target target, Series series) {
        String body = "{\"model\":\"bench/model\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Say hello\"}]" + (stream ? ",\"stream\":true" : "") + "}";
        var request = HttpRequest.newBuilder(target.uri()).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + target.nextKey()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            if (stream) {
                streamed(request, series);
            } else {
                long start = System.nanoTime();
                var response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
                long nanos = System.nanoTime() - start;
                if (response.statusCode() == 200 && response.body().contains("\"usage\"")) {
                    series.nanos().add(nanos);
                } else {
                    failed(series, response.statusCode() + " " + response.body());
                }
            }
        } catch (Exception e) {
            failed(series, e.toString());
        }
    }

    /** Records the delay of the first data event; reads the stream to its end, as a client would. */
    private static void streamed(HttpRequest request, Series series) throws Exception {
        var response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (var lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            if (response.statusCode() != 200) {
                failed(series, response.statusCode() + " " + lines.readLine());
                return;
            }
            Long delayMicros = null;
            boolean done = false;
            String line;
            while ((line = lines.readLine()) != null) {
                if (delayMicros == null && line.startsWith("data: {")) {
                    long now = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
                    Matcher sent = SENT.matcher(line);
                    delayMicros = sent.find() ? now - Long.parseLong(sent.group(1)) : null;
                }
                done |= line.equals("data: [DONE]");
            }
            if (delayMicros != null && done) {
                series.nanos().add(delayMicros * 1000);
            } else {
                failed(series, "no stamped first event or no [DONE]");
            }
        }
    }

    private static void failed(Series series, String what) {
        if (series.errors().incrementAndGet() <= 3) {
            System.err.println(series.name() + " failed: " + what.substring(0, Math.min(300, what.length())));
        }
    }

    private static void print(Series series, Duration measured) {
        List<Long> sorted = new ArrayList<>(series.nanos());
        Collections.sort(sorted);
        System.out.printf(Locale.ROOT, "%s %d %.1f %.2f %.2f %.2f %.2f %d%n", series.name(), sorted.size(),
                sorted.size() / (double) measured.toSeconds(), percentile(sorted, 0.50), percentile(sorted, 0.90),
                percentile(sorted, 0.99), percentile(sorted, 1.0), series.errors().get());
    }

    /** Nearest rank, in milliseconds. */
    private static double percentile(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p * sorted.size());
        return sorted.get(Math.max(rank, 1) - 1) / 1e6;
    }
}
