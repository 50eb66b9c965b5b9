import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * bench/run's stand-in for OpenRouter's chat completions API, answering at once, so that a request through the
 * gateway minus the same request sent here directly is the gateway's own latency.
 * <p>
 * Usage: {@code java bench/FakeUpstream.java <port> <key>}; serves {@code POST /api/v1/chat/completions} and
 * answers 401 to any other bearer key than {@code <key>}. Without {@code "stream": true}: an OpenAI-shaped
 * completion with OpenRouter's {@code usage} (its {@code cost} included). With it: server-sent events, each
 * flushed on its own, then the usage chunk and {@code [DONE]}. Every data event carries {@code bench_sent_us},
 * the wall-clock time in microseconds since the epoch when it was written, so that a client on the same machine
 * can tell how long the event took to reach it.
 */
public class FakeUpstream {

    private static final Pattern MODEL = Pattern.compile("\"model\"\\s*:\\s*\"([^\"]*)\"");
    private static final Pattern STREAM = Pattern.compile("\"stream\"\\s*:\\s*true");
    private static final String USAGE =
            "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":7,\"total_tokens\":19,\"cost\":0.00002}";
    /** The pause after the first event: a relay that held events back until the end would show it in the first one. */
    private static final long GAP_MILLIS = 5;
    private static final AtomicLong IDS = new AtomicLong();

    public static void main(String[] args) throws IOException {
        // Without TCP_NODELAY a small event written after the headers waits for their ACK (up to 40 ms).
        System.setProperty("sun.net.httpserver.nodelay", "true");
        int port = Integer.parseInt(args[0]);
        String key = args[1];
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 256);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/api/v1/chat/completions", exchange -> {
            try (exchange) {
                chat(exchange, key);
            }
        });
        server.start();
        System.out.println("fake upstream listening on 127.0.0.1:" + port);
    }

    private static void chat(HttpExchange exchange, String key) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        if (!("Bearer " + key).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            send(exchange, 401, "{\"error\":{\"code\":401,\"message\":\"No auth credentials found\"}}");
            return;
        }
        Matcher model = MODEL.matcher(body);
        String head = "{\"id\":\"gen-bench-" + IDS.incrementAndGet() + "\",\"model\":\""
                + (model.find() ? model.group(1) : "unknown") + "\"";
        if (STREAM.matcher(body).find()) {
            stream(exchange, head);
        } else {
            send(exchange, 200, head + ",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                    + "\"message\":{\"role\":\"assistant\",\"content\":\"Hello there!\"},\"finish_reason\":\"stop\"}],"
                    + USAGE + "}");
        }
    }

    private static void stream(HttpExchange exchange, String head) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0); // chunked
        OutputStream out = exchange.getResponseBody();
        String chunk = head + ",\"object\":\"chat.completion.chunk\"";
        event(out, chunk, "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hello\"}}]");
        try {
            Thread.sleep(GAP_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        event(out, chunk, "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" there!\"},\"finish_reason\":\"stop\"}]");
        event(out, chunk, "\"choices\":[]," + USAGE);
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** One data event, stamped with the time it is written, flushed at once. */
    private static void event(OutputStream out, String head, String rest) throws IOException {
        long sentMicros = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
        String event = "data: " + head + ",\"bench_sent_us\":" + sentMicros + "," + rest + "}\n\n";
        out.write(event.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
