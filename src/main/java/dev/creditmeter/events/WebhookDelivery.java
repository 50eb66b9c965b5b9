package dev.creditmeter.events;

import java.time.Instant;

/**
 * One delivery of an event to an endpoint, as its log shows it.
 *
 * @param status         pending (due at nextAttemptAt), delivered or failed (gave up)
 * @param responseStatus the HTTP status of the last attempt, or null when it got none
 * @param error          why the last attempt failed, in words, or null
 * @param replay         made by a replay or a test send rather than by the event itself
 */
record WebhookDelivery(long id, long eventId, String eventType, String userId, String status, int attempts,
                       Integer responseStatus, Integer latencyMs, String error, Instant nextAttemptAt,
                       Instant lastAttemptAt, boolean replay, Instant createdAt) {
}
