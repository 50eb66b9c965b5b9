package dev.creditmeter.coupons;

import dev.creditmeter.credits.Money;
import tools.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * One redemption of a coupon by a user, as {@code GET /coupons/redemptions} lists it: a billing system
 * reads the discounts here ({@code credits_awarded} 0, {@code value} the percentage or the amount).
 */
record Redemption(long id, String code, String userId, String couponType, Money value, Money creditsAwarded,
                  JsonNode metadata, Instant redeemedAt) {
}
