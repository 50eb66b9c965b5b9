package dev.creditmeter.tiers;

import dev.creditmeter.credits.Money;

import java.util.List;

/**
 * One tier of the catalogue.
 *
 * @param name           the tier's id ({@code trial}, {@code starter}, …)
 * @param priceMonthly   what it costs per month, in US dollars
 * @param creditsMonthly the allowance it grants per period
 * @param features       the texts the comparison shows
 * @param apiCallLimit   calls per quota window, or null for unlimited
 * @param apiCallPeriod  the quota window: a UTC day, or the account's monthly period
 */
public record Tier(String name, Money priceMonthly, Money creditsMonthly, List<String> features, Long apiCallLimit,
                   CallPeriod apiCallPeriod) {

    public Tier {
        features = features == null ? List.of() : List.copyOf(features);
        apiCallPeriod = apiCallPeriod == null ? CallPeriod.MONTH : apiCallPeriod;
    }

    public enum CallPeriod {
        /** The UTC day. */
        DAY,
        /** The account's allowance period, from period_start to reset_date. */
        MONTH;

        String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
