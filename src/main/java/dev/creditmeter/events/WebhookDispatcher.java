package dev.creditmeter.events;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.ToDoubleFunction;

/**
 * Delivers due webhook deliveries, on every node: each run claims a batch (see {@link WebhookDeliveries#claim}),
 * sends it at once on virtual threads and records each outcome. A failed attempt is retried after the retry
 * schedule's next wait, lengthened by up to a fifth at random so that many endpoints failing together do not
 * come back together. When the schedule is spent (27 h 35 min by default), the delivery fails, its endpoint is
 * disabled, its other pending deliveries fail with it, and a webhook.disabled event tells the other endpoints.
 * At least once: a node that dies after sending but before recording leaves the delivery to be sent again when
 * its lease ends.
 */
@Component
class WebhookDispatcher {

    private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);
    /** Bounds one run; what is left waits for the next. */
    static final int MAX_BATCHES_PER_RUN = 20;
    /** Beyond the attempt's own time-out, before another node may claim a delivery this one holds. */
    private static final Duration LEASE_MARGIN = Duration.ofSeconds(30);

    private final WebhookDeliveries deliveries;
    private final WebhookEndpoints endpoints;
    private final AccountEvents events;
    private final WebhookSender sender;
    private final TransactionTemplate transactions;
    private final JsonMapper json;
    private final List<Duration> schedule;
    private final int batchSize;
    private final Duration lease;
    private final Counter delivered;
    private final Counter retrying;
    private final Counter failed;

    WebhookDispatcher(WebhookDeliveries deliveries, WebhookEndpoints endpoints, AccountEvents events,
                      WebhookSender sender, TransactionTemplate transactions, JsonMapper json,
                      WebhookProperties properties, MeterRegistry meters) {
        this.deliveries = deliveries;
        this.endpoints = endpoints;
        this.events = events;
        this.sender = sender;
        this.transactions = transactions;
        this.json = json;
        this.schedule = properties.retrySchedule();
        this.batchSize = properties.concurrency();
        this.lease = properties.timeout().plus(LEASE_MARGIN);
        this.delivered = outcomes(meters, "delivered");
        this.retrying = outcomes(meters, "retrying");
        this.failed = outcomes(meters, "failed");
        FunctionCounter.builder("creditmeter.events.written", events, orNaN(AccountEvents::written))
                .description("Account events written, on every node together").register(meters);
        Gauge.builder("creditmeter.webhooks.oldest.undelivered.age", deliveries,
                        orNaN(WebhookDeliveries::oldestPendingAgeSeconds))
                .baseUnit("seconds")
                .description("Age of the oldest event that a webhook endpoint is still to receive (0: none)")
                .register(meters);
    }

    private static Counter outcomes(MeterRegistry meters, String outcome) {
        return Counter.builder("creditmeter.webhooks.deliveries").tag("outcome", outcome)
                .description("Webhook delivery attempts by outcome").register(meters);
    }

    /** A metric read from the database: NaN while it cannot be read. */
    private static <T> ToDoubleFunction<T> orNaN(ToDoubleFunction<T> read) {
        return source -> {
            try {
                return read.applyAsDouble(source);
            } catch (RuntimeException e) {
                return Double.NaN;
            }
        };
    }

    @Scheduled(fixedDelayString = "${creditmeter.webhooks.poll-interval:1s}",
            initialDelayString = "${creditmeter.webhooks.poll-interval:1s}")
    void run() {
        try {
            deliverDue();
        } catch (RuntimeException e) {
            log.warn("Webhook delivery run stopped: {}", e.getClass().getSimpleName());
        }
    }

    /** Delivers what is due, batch by batch; returns how many attempts it made. */
    int deliverDue() {
        int total = 0;
        for (int run = 0; run < MAX_BATCHES_PER_RUN; run++) {
            var claimed = deliveries.claim(batchSize, lease);
            try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
                claimed.forEach(attempt -> executor.submit(() -> attemptAndRecord(attempt)));
            }
            total += claimed.size();
            if (claimed.size() < batchSize) {
                break;
            }
        }
        return total;
    }

    private void attemptAndRecord(WebhookDeliveries.Attempt attempt) {
        var outcome = sender.send(attempt);
        switch (outcome) {
            case WebhookSender.Outcome.Delivered d -> {
                deliveries.record(attempt.deliveryId(), "delivered", null, d.responseStatus(), d.latencyMs(), null);
                delivered.increment();
            }
            case WebhookSender.Outcome.Failed f when attempt.attempt() <= schedule.size() -> {
                deliveries.record(attempt.deliveryId(), "pending", backOff(attempt.attempt()), f.responseStatus(),
                        f.latencyMs(), f.error());
                retrying.increment();
            }
            case WebhookSender.Outcome.Failed f -> {
                giveUp(attempt, f);
                failed.increment();
            }
        }
    }

    /** The wait after the n-th failed attempt: the schedule's n-th, plus up to a fifth of it at random. */
    Duration backOff(int failedAttempts) {
        Duration wait = schedule.get(failedAttempts - 1);
        return wait.plusMillis((long) (wait.toMillis() * 0.2 * ThreadLocalRandom.current().nextDouble()));
    }

    private void giveUp(WebhookDeliveries.Attempt attempt, WebhookSender.Outcome.Failed outcome) {
        String reason = "delivery of event " + attempt.event().id() + " failed " + attempt.attempt()
                + " times; the last: " + outcome.error();
        transactions.executeWithoutResult(status -> {
            deliveries.record(attempt.deliveryId(), "failed", null, outcome.responseStatus(), outcome.latencyMs(),
                    outcome.error());
            if (endpoints.disable(attempt.endpointId(), reason)) {
                deliveries.failPending(attempt.endpointId(), "endpoint disabled");
                events.record(EventType.WEBHOOK_DISABLED, json.writeValueAsString(
                        Map.of("webhook_id", attempt.endpointId(), "reason", reason)));
            }
        });
        log.warn("Webhook endpoint {} disabled: {}", attempt.endpointId(), reason);
    }
}
