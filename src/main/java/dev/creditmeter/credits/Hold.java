package dev.creditmeter.credits;

import tools.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.Locale;

/**
 * A reservation of credits, like a card authorisation: while {@code HELD} its amount counts in the
 * account's {@code held}, lowering what is available without changing the balance. It resolves exactly
 * once: captured (the actual usage is charged), released, or expired.
 */
public record Hold(long id, String userId, Money amount, Status status, Instant expiresAt, Instant createdAt,
                   Instant resolvedAt, Money captured, Long usageEventId, JsonNode metadata) {

    public enum Status {
        HELD, CAPTURED, RELEASED, EXPIRED;

        /** The name on the wire and in the database. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Status fromWire(String value) {
            return valueOf(value.toUpperCase(Locale.ROOT));
        }
    }
}
