package dev.creditmeter.byok;

import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.math.BigDecimal;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Every call to OpenRouter goes through here: base URL and attribution headers from configuration,
 * connect and read timeouts, and at most 3 attempts. A 429 is retried after its {@code Retry-After}
 * (up to 10 s), a 5xx or network error after a doubling back-off, and no other 4xx is retried.
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

    /** The last answer, after retries; {@code status} 0 when no answer came at all. */
    public record Reply(int status, String body, String failure) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    public Reply get(String path, String apiKey) {
        var request = HttpRequest.newBuilder(settings.resolve(path)).timeout(READ_TIMEOUT).GET()
                .header("Accept", "application/json").header("X-Title", settings.title());
        if (settings.referer() != null && !settings.referer().isBlank()) {
            request.header("HTTP-Referer", settings.referer());
        }
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        Reply reply = null;
        Duration backoff = settings.retryBackoff();
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            Duration wait;
            var pending = http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
            try {
                // The request timeout covers the wait for the headers; this bounds the body as well.
                HttpResponse<String> response = pending.get(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                reply = new Reply(response.statusCode(), response.body(), null);
                if (response.statusCode() == 429) {
                    Optional<Long> retryAfter = response.headers().firstValue("Retry-After").flatMap(OpenRouterClient::seconds);
                    if (retryAfter.isEmpty() || retryAfter.get() > MAX_RETRY_AFTER_SECONDS) {
                        return reply;
                    }
                    wait = Duration.ofSeconds(retryAfter.get());
                } else if (response.statusCode() >= 500) {
                    wait = backoff;
                    backoff = backoff.multipliedBy(2);
                } else {
                    return reply;
                }
            } catch (ExecutionException | TimeoutException e) {
                pending.cancel(true);
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                reply = new Reply(0, null, cause == null ? "no answer" : cause.getClass().getSimpleName());
                wait = backoff;
                backoff = backoff.multipliedBy(2);
            } catch (InterruptedException e) {
                pending.cancel(true);
                Thread.currentThread().interrupt();
                return new Reply(0, null, "interrupted");
            }
            if (attempt < MAX_ATTEMPTS) {
                sleep(wait);
            }
        }
        return reply;
    }

    /**
     * POSTs a JSON body (the gateway's chat completions). A POST that reached upstream may have been served
     * and billed there, so it is retried only when upstream certainly did not act on it: a 429 (after its
     * {@code Retry-After}, up to 10 s) or a refused connection. A 5xx, a timeout or a dropped connection is
     * answered as it is, never sent twice. The wait for the answer is longer than a GET's: generations are slow.
     */
    public Reply post(String path, String apiKey, String jsonBody) {
        var request = HttpRequest.newBuilder(settings.resolve(path)).timeout(GENERATION_TIMEOUT)
                .POST(HttpRequest.BodyPublishers.ofString(jsonBody))
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .header("X-Title", settings.title());
        if (settings.referer() != null && !settings.referer().isBlank()) {
            request.header("HTTP-Referer", settings.referer());
        }
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        Reply reply = null;
        Duration backoff = settings.retryBackoff();
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            Duration wait;
            var pending = http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
            try {
                HttpResponse<String> response = pending.get(GENERATION_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                reply = new Reply(response.statusCode(), response.body(), null);
                if (response.statusCode() != 429) {
                    return reply;
                }
                Optional<Long> retryAfter = response.headers().firstValue("Retry-After").flatMap(OpenRouterClient::seconds);
                if (retryAfter.isEmpty() || retryAfter.get() > MAX_RETRY_AFTER_SECONDS) {
                    return reply;
                }
                wait = Duration.ofSeconds(retryAfter.get());
            } catch (ExecutionException | TimeoutException e) {
                pending.cancel(true);
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                reply = new Reply(0, null, cause == null ? "no answer" : cause.getClass().getSimpleName());
                if (!(cause instanceof java.net.ConnectException)) {
                    return reply;
                }
                wait = backoff;
                backoff = backoff.multipliedBy(2);
            } catch (InterruptedException e) {
                pending.cancel(true);
                Thread.currentThread().interrupt();
                return new Reply(0, null, "interrupted");
            }
            if (attempt < MAX_ATTEMPTS) {
                sleep(wait);
            }
        }
        return reply;
    }

    /** A streamed POST: the open event stream on a 2xx, else the failed {@link Reply} with its body read. */
    public record Streamed(java.io.InputStream events, Reply failure) {
    }

    /**
     * POSTs a JSON body asking for a stream and answers as soon as the headers are in; the caller reads
     * (and must close) the events. Retried as {@link #post}: only on 429 and on a refused connection.
     */
    public Streamed postStream(String path, String apiKey, String jsonBody) {
        var request = HttpRequest.newBuilder(settings.resolve(path)).timeout(READ_TIMEOUT)
                .POST(HttpRequest.BodyPublishers.ofString(jsonBody))
                .header("Content-Type", "application/json").header("Accept", "text/event-stream")
                .header("X-Title", settings.title());
        if (settings.referer() != null && !settings.referer().isBlank()) {
            request.header("HTTP-Referer", settings.referer());
        }
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        Reply reply = null;
        Duration backoff = settings.retryBackoff();
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            Duration wait;
            try {
                // The request timeout bounds the wait for the headers; the events themselves take what they take.
                HttpResponse<java.io.InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
                if (response.statusCode() >= 200 && response.statusCode() < 300) {
                    return new Streamed(response.body(), null);
                }
                String body;
                try (var in = response.body()) {
                    body = new String(in.readNBytes(1 << 20), java.nio.charset.StandardCharsets.UTF_8);
                }
                reply = new Reply(response.statusCode(), body, null);
                if (response.statusCode() != 429) {
                    return new Streamed(null, reply);
                }
                Optional<Long> retryAfter = response.headers().firstValue("Retry-After").flatMap(OpenRouterClient::seconds);
                if (retryAfter.isEmpty() || retryAfter.get() > MAX_RETRY_AFTER_SECONDS) {
                    return new Streamed(null, reply);
                }
                wait = Duration.ofSeconds(retryAfter.get());
            } catch (java.io.IOException e) {
                reply = new Reply(0, null, e.getClass().getSimpleName());
                if (!(e instanceof java.net.ConnectException)) {
                    return new Streamed(null, reply);
                }
                wait = backoff;
                backoff = backoff.multipliedBy(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Streamed(null, new Reply(0, null, "interrupted"));
            }
            if (attempt < MAX_ATTEMPTS) {
                sleep(wait);
            }
        }
        return new Streamed(null, reply);
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
    static String redact(String text, String apiKey) {
        return apiKey == null || apiKey.isEmpty() ? text : text.replace(apiKey, "[key]");
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
