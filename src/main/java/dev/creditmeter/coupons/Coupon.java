package dev.creditmeter.coupons;

import dev.creditmeter.credits.Money;

import java.time.Instant;

/**
 * A coupon code as stored. {@code value} is credits, or percentage points for a percentage discount.
 *
 * @param maxUses null when unlimited
 */
record Coupon(String code, CouponType type, Money value, String description, Integer maxUses, int usedCount,
              Instant expiresAt, boolean active, String createdBy, Instant createdAt, Instant updatedAt) {

    /** Expired from its expiry instant on; never when it has none. */
    boolean expiredAt(Instant now) {
        return expiresAt != null && !expiresAt.isAfter(now);
    }

    boolean exhausted() {
        return maxUses != null && usedCount >= maxUses;
    }

    /** Null when unlimited. */
    Integer remainingUses() {
        return maxUses == null ? null : Math.max(0, maxUses - usedCount);
    }
}
