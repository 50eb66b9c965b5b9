package dev.creditmeter.usage;

import dev.creditmeter.web.ApiException;
import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.util.ArrayList;
import java.util.List;

import static io.swagger.v3.oas.annotations.media.Schema.RequiredMode.REQUIRED;

/**
 * Batch ingestion for gateways and log shippers: each event is applied as POST /usage/track would,
 * in its own transaction, so one bad event does not hold back the others.
 */
@RestController
@Tag(name = "Usage")
class UsageBatchController {

    static final int MAX_EVENTS = 1000;

    private final UsageService usage;

    UsageBatchController(UsageService usage) {
        this.usage = usage;
    }
    record BatchRequest(@Schema(requiredMode = REQUIRED) List<UsageController.TrackRequest> events) {
    }

    record Result(int index, String eventId, String status, UsageEvent event, String error) {
    }

    record BatchResponse(List<Result> results) {
    }

    @PostMapping("/api/v1/credits/usage/events")
    @Operation(summary = "Record and charge up to 1,000 usage events (service, admin); each needs user_id and event_id")
    BatchResponse ingest(@RequestBody(required = false) BatchRequest body) {
        if (body == null || body.events() == null) {
            throw ApiException.invalid("events", "is required");
        }
        new Validation().require(body.events().size() <= MAX_EVENTS, "events", "must hold at most " + MAX_EVENTS + " events")
                .throwIfInvalid();
        List<Result> results = new ArrayList<>(body.events().size());
        for (int i = 0; i < body.events().size(); i++) {
            var event = body.events().get(i);
            String eventId = event == null ? null : event.eventId();
            try {
                if (event == null) {
                    throw ApiException.invalid("events[" + i + "]", "must be an object");
                }
                new Validation().text(event.userId(), "user_id").text(event.eventId(), "event_id").throwIfInvalid();
                var tracked = usage.track(UsageController.toTrack(event.userId(), event, null));
                String status = tracked instanceof UsageService.Tracked.Duplicate ? "duplicate" : "accepted";
                results.add(new Result(i, eventId, status, tracked.event(), null));
            } catch (ApiException rejected) {
                results.add(new Result(i, eventId, "rejected", null, rejected.getMessage()));
            }
        }
        return new BatchResponse(results);
    }
}
