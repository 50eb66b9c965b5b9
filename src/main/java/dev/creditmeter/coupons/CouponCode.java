package dev.creditmeter.coupons;

import dev.creditmeter.credits.Money;

import java.time.Instant;

/** The contract's CouponCode: the stored coupon plus what follows from it at the time of the answer. */
record CouponCode(String code, String couponType, Money value, String description, Integer maxUses, int usedCount,
                  Integer remainingUses, Instant expiresAt, boolean isActive, boolean isExpired, String createdBy,
                  Instant createdAt, Instant updatedAt) {

    static CouponCode of(Coupon c, Instant now) {
        return new CouponCode(c.code(), c.type().wireName(), c.value(), c.description(), c.maxUses(), c.usedCount(),
                c.remainingUses(), c.expiresAt(), c.active(), c.expiredAt(now), c.createdBy(), c.createdAt(),
                c.updatedAt());
    }
}
