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
 * Batch ingestion for gateways and log shippers: each event is checked and priced as POST /usage/track
 * would; the valid ones are recorded and charged together, in one statement and one transaction. An event
 * that fails its checks is rejected alone and does not hold back the others.
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
        var results = new Result[body.events().size()];
        var accepted = new ArrayList<Integer>();
        var usages = new ArrayList<Usage>();
        for (int i = 0; i < results.length; i++) {
            var event = body.events().get(i);
            try {
                if (event == null) {
                    throw ApiException.invalid("events[" + i + "]", "must be an object");
                }
                new Validation().text(event.userId(), "user_id").text(event.eventId(), "event_id").throwIfInvalid();
                usages.add(event.usage(event.userId(), null));
                accepted.add(i);
            } catch (ApiException rejected) {
                results[i] = new Result(i, event == null ? null : event.eventId(), "rejected", null, rejected.getMessage());
            }
        }
        return response(results, accepted, usage.trackAll(usages));
    }

    /** The answer: {@code results} with the outcome of each accepted event filled in, in order. */
    static BatchResponse response(Result[] results, List<Integer> accepted, List<UsageService.Tracked> tracked) {
        for (int k = 0; k < tracked.size(); k++) {
            int i = accepted.get(k);
            var outcome = tracked.get(k);
            String status = outcome instanceof UsageService.Tracked.Duplicate ? "duplicate" : "accepted";
            results[i] = new Result(i, outcome.event().eventId(), status, outcome.event(), null);
        }
        return new BatchResponse(List.of(results));
    }
}
