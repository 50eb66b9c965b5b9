package dev.creditmeter.credits;

import java.time.Instant;

/**
 * The call quota as a balance shows it.
 *
 * @param limit  calls allowed in the window, or null when unlimited
 * @param period {@code day} or {@code month}
 */
public record ApiCalls(long used, Long limit, String period, Instant resetsAt) {
}
