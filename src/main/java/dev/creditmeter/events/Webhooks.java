package dev.creditmeter.events;

import dev.creditmeter.audit.AuditLog;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The facade of webhook endpoints for admins: register, change, rotate, test, read the log, replay. */
@Service
class Webhooks {

    /** A replay of a time range may resend at most this many events. */
    static final int MAX_REPLAY_EVENTS = 10_000;
    /** A test delivery is sent by the request that asks for it; the dispatcher leaves it alone meanwhile. */
    private static final Duration TEST_SEND_LEASE = Duration.ofHours(1);

    private final WebhookEndpoints endpoints;
    private final WebhookDeliveries deliveries;
    private final AccountEvents events;
    private final WebhookSender sender;
    private final AuditLog audit;
    private final TransactionTemplate transactions;
    private final JsonMapper json;
    private final Duration secretOverlap;
    private final Clock clock;

    Webhooks(WebhookEndpoints endpoints, WebhookDeliveries deliveries, AccountEvents events, WebhookSender sender,
             AuditLog audit, TransactionTemplate transactions, JsonMapper json, WebhookProperties properties,
             Clock clock) {
        this.endpoints = endpoints;
        this.deliveries = deliveries;
        this.events = events;
        this.sender = sender;
        this.audit = audit;
        this.transactions = transactions;
        this.json = json;
        this.secretOverlap = properties.secretOverlap();
        this.clock = clock;
    }

    sealed interface Creation {
        record Created(WebhookEndpoint.Created endpoint) implements Creation {
        }

        record TooMany(int max) implements Creation {
        }
    }

    @Transactional
    Creation create(String url, List<String> eventTypes, String description, String actor) {
        if (endpoints.count() >= WebhookEndpoints.MAX_ENDPOINTS) {
            return new Creation.TooMany(WebhookEndpoints.MAX_ENDPOINTS);
        }
        String secret = WebhookSignature.newSecret();
        var endpoint = endpoints.create(url, eventTypes, description, secret);
        audit.record(actor, "webhook.create", null, "webhook:" + endpoint.id(), "success",
                Map.of("event_types", eventTypes));
        return new Creation.Created(new WebhookEndpoint.Created(endpoint.id(), endpoint.url(), endpoint.eventTypes(),
                endpoint.description(), secret, endpoint.enabled(), endpoint.createdAt()));
    }

    List<WebhookEndpoint> list() {
        return endpoints.list();
    }

    Optional<WebhookEndpoint> find(long id) {
        return endpoints.find(id);
    }

    @Transactional
    Optional<WebhookEndpoint> update(long id, String url, List<String> eventTypes, Boolean enabled, String actor) {
        var updated = endpoints.update(id, url, eventTypes, enabled);
        updated.ifPresent(endpoint -> audit.record(actor, "webhook.update", null, "webhook:" + id, "success",
                Map.of("enabled", endpoint.enabled(), "event_types", endpoint.eventTypes())));
        return updated;
    }

    @Transactional
    boolean delete(long id, String actor) {
        boolean deleted = endpoints.delete(id);
        if (deleted) {
            audit.record(actor, "webhook.delete", null, "webhook:" + id, "success", Map.of());
        }
        return deleted;
    }

    @Transactional
    Optional<WebhookEndpoint.Rotated> rotateSecret(long id, String actor) {
        String secret = WebhookSignature.newSecret();
        var rotated = endpoints.rotate(id, secret, clock.instant().plus(secretOverlap))
                .map(until -> new WebhookEndpoint.Rotated(id, secret, until));
        rotated.ifPresent(r -> audit.record(actor, "webhook.rotate_secret", null, "webhook:" + id, "success", Map.of()));
        return rotated;
    }

    /**
     * Sends a webhook.test event to the endpoint now, once, enabled or not, and answers its delivery as logged.
     * Empty when there is no such endpoint.
     */
    Optional<WebhookDelivery> test(long id) {
        if (endpoints.find(id).isEmpty()) {
            return Optional.empty();
        }
        Long position = transactions.execute(status ->
                events.record(EventType.WEBHOOK_TEST, json.writeValueAsString(Map.of("webhook_id", id))));
        var event = events.atPosition(position).orElseThrow();
        var deliveryId = deliveries.add(id, event.id(), TEST_SEND_LEASE).orElseThrow();
        deliveries.claimOne(deliveryId).ifPresent(attempt -> {
            var outcome = sender.send(attempt);
            String error = outcome instanceof WebhookSender.Outcome.Failed f ? f.error() : null;
            deliveries.record(deliveryId, error == null ? "delivered" : "failed", null, outcome.responseStatus(),
                    outcome.latencyMs(), error);
        });
        return deliveries.find(deliveryId);
    }

    List<WebhookDelivery> deliveries(long id, String status, int limit) {
        return deliveries.list(id, status, limit);
    }

    sealed interface Replay {
        record Queued(int events) implements Replay {
        }

        record NoSuchEvent(long eventId) implements Replay {
        }

        record TooMany(int events, int max) implements Replay {
        }
    }

    /** Sends one event to the endpoint again, whatever its type, with its own webhook-id. */
    @Transactional
    Replay replay(WebhookEndpoint endpoint, long eventId, String actor) {
        var added = deliveries.add(endpoint.id(), eventId, Duration.ZERO);
        added.ifPresent(d -> audit.record(actor, "webhook.replay", null, "webhook:" + endpoint.id(), "success",
                Map.of("event_id", eventId)));
        return added.<Replay>map(d -> new Replay.Queued(1)).orElseGet(() -> new Replay.NoSuchEvent(eventId));
    }

    /** Sends again every event of the endpoint's types written in [since, until), oldest first. */
    @Transactional
    Replay replay(WebhookEndpoint endpoint, Instant since, Instant until, String actor) {
        int count = deliveries.countRange(endpoint.eventTypes(), since, until);
        if (count > MAX_REPLAY_EVENTS) {
            return new Replay.TooMany(count, MAX_REPLAY_EVENTS);
        }
        int queued = deliveries.addRange(endpoint.id(), endpoint.eventTypes(), since, until, MAX_REPLAY_EVENTS);
        audit.record(actor, "webhook.replay", null, "webhook:" + endpoint.id(), "success",
                Map.of("since", since.toString(), "until", until.toString(), "events", queued));
        return new Replay.Queued(queued);
    }
}
