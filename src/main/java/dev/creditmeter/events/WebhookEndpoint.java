package dev.creditmeter.events;

import java.time.Instant;
import java.util.List;

/**
 * A registered endpoint as admins see it; its secret is never part of it.
 *
 * @param disabledReason why delivery stopped by itself (persistent failure), or null
 */
record WebhookEndpoint(long id, String url, List<String> eventTypes, String description, boolean enabled,
                       String disabledReason, Instant createdAt, Instant updatedAt) {

    /** The answer to a creation: the endpoint and, this once, its secret. */
    record Created(long id, String url, List<String> eventTypes, String description, String secret, boolean enabled,
                   Instant createdAt) {
    }

    /** The answer to a rotation: the new secret, and until when the previous one still signs. */
    record Rotated(long id, String secret, Instant previousSecretExpiresAt) {
    }
}
