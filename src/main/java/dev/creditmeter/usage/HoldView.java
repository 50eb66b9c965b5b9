package dev.creditmeter.usage;

import dev.creditmeter.credits.Hold;
import dev.creditmeter.credits.Money;
import tools.jackson.databind.JsonNode;

import java.time.Instant;

/** A hold as the contract shows it. {@code captured} and {@code usage_event_id} are set once it is captured. */
record HoldView(long holdId, String userId, Money amount, String status, Instant expiresAt, Instant createdAt,
                Instant resolvedAt, Money captured, Long usageEventId, JsonNode metadata) {

    static HoldView of(Hold h) {
        return new HoldView(h.id(), h.userId(), h.amount(), h.status().wireName(), h.expiresAt(), h.createdAt(),
                h.resolvedAt(), h.captured(), h.usageEventId(), h.metadata());
    }
}
