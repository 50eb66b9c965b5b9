package dev.creditmeter.coupons;

import java.util.Arrays;
import java.util.Optional;

/** What a coupon gives: credits now (bonus, free month) or a discount recorded for the billing system. */
enum CouponType {
    CREDIT_BONUS("credit_bonus"),
    FREE_MONTH("free_month"),
    PERCENTAGE_DISCOUNT("percentage_discount"),
    FIXED_DISCOUNT("fixed_discount");

    private final String wireName;

    CouponType(String wireName) {
        this.wireName = wireName;
    }

    String wireName() {
        return wireName;
    }

    static Optional<CouponType> fromWire(String name) {
        return Arrays.stream(values()).filter(type -> type.wireName.equals(name)).findFirst();
    }
}
