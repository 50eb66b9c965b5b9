package dev.creditmeter.openrouter;

import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Every call to OpenRouter goes through here: base URL and attribution headers from configuration,
 * connect and read timeouts, and at most 3 attempts (see {@link #send}). A 429 is retried after its
 * {@code Retry-After} (up to 10 s), a GET's 5xx or network error after a doubling back-off, and no other
 * 4xx is retried.
 * Keys are sent as bearer tokens and never put into messages.
 */
@Component
public class OpenRouterClient {

    static final int MAX_ATTEMPTS = 3;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    private static final long MAX_RETRY_AFTER_SECONDS = 10;
    private static final Duration GENERATION_TIMEOUT = Duration.ofMinutes(5);

    private final OpenRouterProperties settings;
    private final JsonMapper json;
    private final HttpClient http;

    OpenRouterClient(OpenRouterProperties settings, JsonMapper json) {
        this.settings = settings;
        this.json = json;
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** The last answer, after {@code attempts} tries; {@code status} 0 when no answer came at all. */
    public record Reply(int status, String body, String failure, int attempts) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    public Reply get(String path, String apiKey) {
        var request = request(path, apiKey, "application/json").timeout(READ_TIMEOUT).GET().build();
        return reply(send(request, HttpResponse.BodyHandlers.ofString(), READ_TIMEOUT, true));
    }

    /**
     * POSTs a JSON body (the gateway's chat completions). A POST that reached upstream may have been served
     * and billed there, so it is retried only when upstream certainly did not act on it: a 429 (after its
     * {@code Retry-After}, up to 10 s) or a refused connection. A 5xx, a timeout or a dropped connection is
     * answered as it is, never sent twice. The wait for the answer is longer than a GET's: generations are slow.
     */
    public Reply post(String path, String apiKey, String jsonBody) {
        var request = request(path, apiKey, "application/json").timeout(GENERATION_TIMEOUT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(jsonBody)).build();
        return reply(send(request, HttpResponse.BodyHandlers.ofString(), GENERATION_TIMEOUT, false));
    }

    /** A streamed POST: the open event stream on a 2xx, else the failed {@link Reply} with its body read. */
    public record Streamed(InputStream events, Reply failure) {
    }

    /**
     * POSTs a JSON body asking for a stream and answers as soon as the headers are in; the caller reads
     * (and must close) the events. Retried as {@link #post}: only on 429 and on a refused connection.
     * The timeout bounds the wait for the headers; the events themselves take what they take.
     */
    public Streamed postStream(String path, String apiKey, String jsonBody) {
        var request = request(path, apiKey, "text/event-stream").timeout(READ_TIMEOUT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(jsonBody)).build();
        Attempt<InputStream> attempt = send(request, HttpResponse.BodyHandlers.ofInputStream(), READ_TIMEOUT, false);
        HttpResponse<InputStream> response = attempt.response();
        if (response == null) {
            return new Streamed(null, new Reply(0, null, attempt.failure(), attempt.number()));
        }
        if (response.statusCode() >= 200 && response.statusCode() < 300) {
            return new Streamed(response.body(), null);
        }
        try (var in = response.body()) {
            return new Streamed(null, new Reply(response.statusCode(),
                    new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8), null, attempt.number()));
        } catch (IOException e) {
            return new Streamed(null, new Reply(response.statusCode(), null, e.getClass().getSimpleName(), attempt.number()));
        }
    }

    private HttpRequest.Builder request(String path, String apiKey, String accept) {
        var request = HttpRequest.newBuilder(settings.resolve(path))
                .header("Accept", accept).header("X-Title", settings.title());
        if (settings.referer() != null && !settings.referer().isBlank()) {
            request.header("HTTP-Referer", settings.referer());
        }
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        return request;
    }

    /** The last response, or why there was none, and which attempt it was. */
    private record Attempt<T>(HttpResponse<T> response, String failure, int number) {
    }

    /**
     * The retry policy, in one place: at most {@link #MAX_ATTEMPTS}; a 429 again after its Retry-After (≤ 10 s);
     * a 5xx or network failure again after a doubling back-off only when {@code idempotent}; a refused
     * connection always (nothing reached upstream); anything else is final. {@code timeout} bounds the wait
     * for what the handler returns (the whole body for strings, the headers for streams).
     */
    private <T> Attempt<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler, Duration timeout,
                                boolean idempotent) {
        Duration backoff = settings.retryBackoff();
        for (int attempt = 1; ; attempt++) {
            Attempt<T> last;
            Duration wait;
            var pending = http.sendAsync(request, handler);
            try {
                HttpResponse<T> response = pending.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                last = new Attempt<>(response, null, attempt);
                Optional<Long> retryAfter = response.statusCode() == 429
                        ? response.headers().firstValue("Retry-After").flatMap(OpenRouterClient::seconds)
                        : Optional.empty();
                if (retryAfter.isPresent() && retryAfter.get() <= MAX_RETRY_AFTER_SECONDS) {
                    wait = Duration.ofSeconds(retryAfter.get());
                } else if (response.statusCode() >= 500 && idempotent) {
                    wait = backoff;
                    backoff = backoff.multipliedBy(2);
                } else {
                    return last;
                }
            } catch (ExecutionException | TimeoutException e) {
                pending.cancel(true);
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                last = new Attempt<>(null, cause == null ? "no answer" : cause.getClass().getSimpleName(), attempt);
                if (!idempotent && !(cause instanceof ConnectException)) {
                    return last;
                }
                wait = backoff;
                backoff = backoff.multipliedBy(2);
            } catch (InterruptedException e) {
                pending.cancel(true);
                Thread.currentThread().interrupt();
                return new Attempt<>(null, "interrupted", attempt);
            }
            if (attempt == MAX_ATTEMPTS) {
                return last;
            }
            if (last.response() != null && last.response().body() instanceof InputStream unread) {
                close(unread);
            }
            sleep(wait);
        }
    }

    private static Reply reply(Attempt<String> attempt) {
        return attempt.response() == null
                ? new Reply(0, null, attempt.failure(), attempt.number())
                : new Reply(attempt.response().statusCode(), attempt.response().body(), null, attempt.number());
    }

    private static void close(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // a response we are retrying anyway
        }
    }

    /** What {@code GET /key} says about a key. */
    public sealed interface KeyCheck {
        record Valid(String label, BigDecimal limitRemaining) implements KeyCheck {
        }

        /** OpenRouter refused the key (401, 403 and other 4xx). */
        record Rejected(String reason) implements KeyCheck {
        }

        /** No usable answer: 5xx, 429, timeouts, garbage. */
        record Failed(String reason) implements KeyCheck {
        }
    }

    public KeyCheck checkKey(String apiKey) {
        Reply reply = get("/key", apiKey);
        if (reply.status() == 0) {
            return new KeyCheck.Failed("OpenRouter did not answer (" + reply.failure() + ")");
        }
        if (!reply.ok()) {
            String reason = redact(errorMessage(reply), apiKey);
            return reply.status() < 500 && reply.status() != 429
                    ? new KeyCheck.Rejected(reason) : new KeyCheck.Failed(reason);
        }
        try {
            JsonNode data = json.readTree(reply.body()).path("data");
            JsonNode remaining = data.path("limit_remaining");
            return new KeyCheck.Valid(data.path("label").isString() ? redact(data.path("label").asString(), apiKey) : null,
                    remaining.isNumber() ? remaining.decimalValue() : null);
        } catch (RuntimeException e) {
            return new KeyCheck.Failed("unreadable answer from OpenRouter");
        }
    }

    private String errorMessage(Reply reply) {
        try {
            String message = json.readTree(reply.body()).path("error").path("message").asString("");
            if (!message.isBlank()) {
                return "HTTP " + reply.status() + ": " + (message.length() > 200 ? message.substring(0, 200) : message);
            }
        } catch (RuntimeException ignored) {
            // not JSON
        }
        return "HTTP " + reply.status();
    }

    /** Upstream text is quoted back to clients and logs: never with the key in it. */
    public static String redact(String text, String apiKey) {
        return apiKey == null || apiKey.isEmpty() || text == null ? text : text.replace(apiKey, "[key]");
    }

    private static Optional<Long> seconds(String value) {
        try {
            return Optional.of(Math.max(0, Long.parseLong(value.strip())));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void sleep(Duration wait) {
        try {
            Thread.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
