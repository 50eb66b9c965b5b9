/** Promotional coupon codes: creation, validation, redemption (counted exactly, once per user) and deactivation. */
package dev.creditmeter.coupons;
