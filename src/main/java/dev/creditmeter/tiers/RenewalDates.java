package dev.creditmeter.tiers;

import java.time.Instant;
import java.time.LocalTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;

/**
 * Period arithmetic in UTC calendar months. A period renews on its anchor day: the day of month of its
 * start, clamped to the month's length (the 31st renews on Feb 28 and then on Mar 31 again). Because a
 * clamped start (Feb 28) no longer shows the anchor, the anchor is the later of the start's and the reset
 * date's day of month, which restores it from the reset date (Mar 31).
 */
final class RenewalDates {

    private RenewalDates() {
    }

    /** The period a tier switch starts now: one calendar month, clamped. */
    static Period startingAt(Instant now) {
        return new Period(now, now.atOffset(ZoneOffset.UTC).plusMonths(1).toInstant());
    }

    /**
     * The period that contains {@code now}, counted in whole months from the ended period's anchor: ONE
     * period however many months were missed. Its reset date is the first anchor date after now.
     */
    static Period containing(Instant periodStart, Instant resetDate, Instant now) {
        ZonedDateTime start = periodStart.atZone(ZoneOffset.UTC);
        int anchorDay = Math.max(start.getDayOfMonth(), resetDate.atZone(ZoneOffset.UTC).getDayOfMonth());
        YearMonth first = YearMonth.from(start);
        LocalTime time = start.toLocalTime();
        long months = Math.max(1, ChronoUnit.MONTHS.between(first, YearMonth.from(now.atZone(ZoneOffset.UTC))));
        long k = months - 1;
        while (!anchorDate(first, k, anchorDay, time).isAfter(now)) {
            k++;
        }
        Instant next = anchorDate(first, k, anchorDay, time);
        Instant previous = k == 0 ? periodStart : anchorDate(first, k - 1, anchorDay, time);
        return new Period(previous.isBefore(periodStart) ? periodStart : previous, next);
    }

    private static Instant anchorDate(YearMonth first, long plusMonths, int anchorDay, LocalTime time) {
        YearMonth month = first.plusMonths(plusMonths);
        return month.atDay(Math.min(anchorDay, month.lengthOfMonth())).atTime(time).toInstant(ZoneOffset.UTC);
    }

    record Period(Instant start, Instant resetDate) {
    }
}
