package dev.creditmeter.events;

import java.util.Arrays;
import java.util.Optional;

/** The events there are, by the name clients see. The database writes all but the webhook ones' rows itself. */
enum EventType {
    BALANCE_LOW("balance.low"),
    BALANCE_DEPLETED("balance.depleted"),
    BALANCE_RECOVERED("balance.recovered"),
    QUOTA_WARNING("quota.warning"),
    QUOTA_EXHAUSTED("quota.exhausted"),
    CREDITS_ADDED("credits.added"),
    TIER_CHANGED("tier.changed"),
    HOLD_EXPIRED("hold.expired"),
    USAGE_UNPRICED("usage.unpriced"),
    WEBHOOK_DISABLED("webhook.disabled"),
    /** Sent by {@code POST /admin/webhooks/{id}/test} to that endpoint only; no endpoint subscribes to it. */
    WEBHOOK_TEST("webhook.test");

    private final String wireName;

    EventType(String wireName) {
        this.wireName = wireName;
    }

    String wireName() {
        return wireName;
    }

    static Optional<EventType> fromWire(String name) {
        return Arrays.stream(values()).filter(type -> type.wireName.equals(name)).findFirst();
    }

    /** What an endpoint may subscribe to. */
    boolean subscribable() {
        return this != WEBHOOK_TEST;
    }
}
