package dev.creditmeter.events;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.swagger.v3.oas.annotations.media.Schema;

import java.time.Instant;

/**
 * An event as {@code GET /events} lists it and a webhook delivers it.
 *
 * @param userId   null for an event of the platform (webhook.disabled, webhook.test)
 * @param sequence 1, 2, 3, ... per account, in the order of the account's changes
 * @param data     the JSON object the database wrote: the account's values after the change
 */
record AccountEvent(long id, String type, String userId, long sequence, Instant createdAt,
                    @JsonRawValue @Schema(type = "object") String data) {
}
