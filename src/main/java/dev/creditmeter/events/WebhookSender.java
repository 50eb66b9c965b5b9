package dev.creditmeter.events;

import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;

/**
 * One attempt to deliver an event: a POST of the event's JSON with the Standard Webhooks headers
 * ({@code webhook-id} is the event's id, the same on every attempt and replay). Bounded: the attempt may take
 * {@code creditmeter.webhooks.timeout} until the answer's status line, redirects are not followed, and the answer's
 * body is not read at all (only its status counts). The target is checked again before every attempt.
 */
@Component
class WebhookSender {

    /** An attempt's result; {@code responseStatus} is null when no answer came. */
    sealed interface Outcome {
        Integer responseStatus();

        int latencyMs();

        record Delivered(Integer responseStatus, int latencyMs) implements Outcome {
        }

        record Failed(Integer responseStatus, int latencyMs, String error) implements Outcome {
        }
    }

    private final HttpClient client;
    private final JsonMapper json;
    private final WebhookTargets targets;
    private final Duration timeout;
    private final Clock clock;

    WebhookSender(JsonMapper json, WebhookTargets targets, WebhookProperties properties, Clock clock) {
        this.json = json;
        this.targets = targets;
        this.timeout = properties.timeout();
        this.clock = clock;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    Outcome send(WebhookDeliveries.Attempt attempt) {
        var refused = targets.problem(attempt.url());
        if (refused.isPresent()) {
            return new Outcome.Failed(null, 0, "target refused: url " + refused.get());
        }
        String body = json.writeValueAsString(attempt.event());
        String id = Long.toString(attempt.event().id());
        long timestamp = clock.instant().getEpochSecond();
        HttpRequest request = HttpRequest.newBuilder(URI.create(attempt.url()))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("User-Agent", "Creditmeter-Webhooks/1")
                .header("webhook-id", id)
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", WebhookSignature.header(attempt.secrets(), id, timestamp, body))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        long start = System.nanoTime();
        try {
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            response.body().close();
            int status = response.statusCode();
            int latency = millisSince(start);
            return status >= 200 && status < 300 ? new Outcome.Delivered(status, latency)
                    : new Outcome.Failed(status, latency, "answered HTTP " + status);
        } catch (HttpTimeoutException e) {
            return new Outcome.Failed(null, millisSince(start), "no answer within " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            // The exception's message may repeat the URL, which may carry a token: only its kind is kept.
            return new Outcome.Failed(null, millisSince(start), "connection failed (" + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome.Failed(null, millisSince(start), "interrupted");
        }
    }

    private static int millisSince(long startNanos) {
        return (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - startNanos) / 1_000_000);
    }
}
