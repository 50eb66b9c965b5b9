package dev.creditmeter.events;

import dev.creditmeter.identity.Caller;
import dev.creditmeter.web.ApiException;
import dev.creditmeter.web.Problems;
import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static io.swagger.v3.oas.annotations.media.Schema.RequiredMode.REQUIRED;

/** Webhook endpoints: admins only (the security configuration refuses every other caller on /admin/**). */
@RestController
@RequestMapping("/api/v1/credits/admin/webhooks")
@Tag(name = "Webhooks")
class WebhookController {

    static final int MAX_EVENT_TYPES = 20;
    private static final Set<String> DELIVERY_STATUSES = Set.of("pending", "delivered", "failed");

    private final Webhooks webhooks;
    private final WebhookTargets targets;

    WebhookController(Webhooks webhooks, WebhookTargets targets) {
        this.webhooks = webhooks;
        this.targets = targets;
    }

    record NewWebhook(@Schema(requiredMode = REQUIRED) String url,
                         @Schema(requiredMode = REQUIRED) List<String> eventTypes, String description) {
    }

    record WebhookChange(String url, List<String> eventTypes, Boolean enabled) {
    }

    /** One event ({@code event_id}), or the events written in [since, until) (until defaults to now). */
    record WebhookReplay(Long eventId, String since, String until) {
    }

    record Replayed(int events) {
    }

    @PostMapping
    @Operation(summary = "Register an endpoint; the answer shows its signing secret, this once")
    ResponseEntity<Object> create(Caller caller, @RequestBody(required = false) NewWebhook body) {
        if (body == null) {
            throw ApiException.invalid("url", "is required");
        }
        var validation = new Validation();
        targets.problem(body.url()).ifPresent(problem -> validation.require(false, "url", problem));
        checkEventTypes(body.eventTypes(), validation, true);
        validation.optionalText(body.description(), "description").throwIfInvalid();
        return switch (webhooks.create(body.url(), distinct(body.eventTypes()), body.description(), caller.actor())) {
            case Webhooks.Creation.Created c -> ResponseEntity.status(HttpStatus.CREATED).body(c.endpoint());
            case Webhooks.Creation.TooMany t -> Problems.response(HttpStatus.UNPROCESSABLE_CONTENT,
                    "At most " + t.max() + " webhook endpoints can be registered");
        };
    }

    @GetMapping
    @Operation(summary = "The registered endpoints")
    List<WebhookEndpoint> list() {
        return webhooks.list();
    }

    @GetMapping("/{id}")
    WebhookEndpoint get(@PathVariable long id) {
        return webhooks.find(id).orElseThrow(() -> notFound(id));
    }

    @PatchMapping("/{id}")
    @Operation(summary = "Change an endpoint's url, event_types or enabled; enabling clears why it was disabled")
    WebhookEndpoint update(Caller caller, @PathVariable long id, @RequestBody(required = false) WebhookChange body) {
        if (body == null) {
            throw ApiException.invalid("body", "must be a JSON object");
        }
        var validation = new Validation();
        if (body.url() != null) {
            targets.problem(body.url()).ifPresent(problem -> validation.require(false, "url", problem));
        }
        checkEventTypes(body.eventTypes(), validation, false);
        validation.throwIfInvalid();
        return webhooks.update(id, body.url(), body.eventTypes() == null ? null : distinct(body.eventTypes()),
                body.enabled(), caller.actor()).orElseThrow(() -> notFound(id));
    }

    @DeleteMapping("/{id}")
    ResponseEntity<Void> delete(Caller caller, @PathVariable long id) {
        if (!webhooks.delete(id, caller.actor())) {
            throw notFound(id);
        }
        return ResponseEntity.noContent().build();
    }

    @PostMapping("/{id}/rotate-secret")
    @Operation(summary = "A new signing secret; the previous one keeps signing too for the overlap (24 h by default)")
    WebhookEndpoint.Rotated rotateSecret(Caller caller, @PathVariable long id) {
        return webhooks.rotateSecret(id, caller.actor()).orElseThrow(() -> notFound(id));
    }

    @PostMapping("/{id}/test")
    @Operation(summary = "Send a webhook.test event to the endpoint now, once; answers the delivery")
    WebhookDelivery test(@PathVariable long id) {
        return webhooks.test(id).orElseThrow(() -> notFound(id));
    }

    @GetMapping("/{id}/deliveries")
    @Operation(summary = "The endpoint's deliveries, newest first")
    List<WebhookDelivery> deliveries(@PathVariable long id, @RequestParam(required = false) String status,
                                     @RequestParam(defaultValue = "50") int limit) {
        new Validation()
                .require(status == null || DELIVERY_STATUSES.contains(status), "status",
                        "must be pending, delivered or failed")
                .require(limit >= 1 && limit <= 500, "limit", "must be between 1 and 500")
                .throwIfInvalid();
        webhooks.find(id).orElseThrow(() -> notFound(id));
        return webhooks.deliveries(id, status, limit);
    }

    @PostMapping("/{id}/replay")
    @Operation(summary = "Send one event again ({\"event_id\"}) or every event of the endpoint's types written in "
            + "[since, until); the same webhook-id as the first time")
    ResponseEntity<Object> replay(Caller caller, @PathVariable long id,
                                  @RequestBody(required = false) WebhookReplay body) {
        if (body == null || (body.eventId() == null) == (body.since() == null)) {
            throw ApiException.invalid("event_id", "give event_id, or since (and until), not both");
        }
        var endpoint = webhooks.find(id).orElseThrow(() -> notFound(id));
        Webhooks.Replay replay;
        if (body.eventId() != null) {
            replay = webhooks.replay(endpoint, body.eventId(), caller.actor());
        } else {
            Instant since = instant(body.since(), "since");
            Instant until = body.until() == null ? Instant.now() : instant(body.until(), "until");
            if (!since.isBefore(until)) {
                throw ApiException.invalid("since", "must be before until");
            }
            replay = webhooks.replay(endpoint, since, until, caller.actor());
        }
        return switch (replay) {
            case Webhooks.Replay.Queued q -> ResponseEntity.accepted().body(new Replayed(q.events()));
            case Webhooks.Replay.NoSuchEvent n -> Problems.response(HttpStatus.NOT_FOUND,
                    "Event " + n.eventId() + " not found");
            case Webhooks.Replay.TooMany t -> Problems.response(HttpStatus.UNPROCESSABLE_CONTENT,
                    "The range holds " + t.events() + " events; a replay sends at most " + t.max());
        };
    }

    private static void checkEventTypes(List<String> types, Validation validation, boolean required) {
        if (types == null) {
            validation.require(!required, "event_types", "is required");
            return;
        }
        validation.require(!types.isEmpty() && types.size() <= MAX_EVENT_TYPES, "event_types",
                "must list 1 to " + MAX_EVENT_TYPES + " event types");
        for (String type : types) {
            boolean known = type != null && EventType.fromWire(type).filter(EventType::subscribable).isPresent();
            validation.require(known, "event_types", "unknown event type: " + (type == null ? "null" : sample(type)));
        }
    }

    private static String sample(String text) {
        String clean = text.replaceAll("[^a-z._]", "?");
        return clean.length() > 40 ? clean.substring(0, 40) + "…" : clean;
    }

    private static List<String> distinct(List<String> types) {
        return List.copyOf(new LinkedHashSet<>(types));
    }

    private static Instant instant(String text, String field) {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw ApiException.invalid(field, "must be an ISO-8601 date-time, e.g. 2026-12-31T23:59:59Z");
        }
    }

    private static ApiException notFound(long id) {
        return ApiException.notFound("Webhook " + id + " not found");
    }
}
