package dev.creditmeter.events;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Duration;
import java.util.List;

/**
 * Webhook delivery.
 *
 * @param allowPrivateTargets deliver to loopback, private and link-local addresses too (tests, on-premises)
 * @param retrySchedule       the waits before the 2nd, 3rd, ... attempt; each is lengthened by up to a fifth at
 *                            random (jitter). The default spans 27 h 35 min; after the last, the delivery fails
 *                            and its endpoint is disabled
 * @param pollInterval        how often a node looks for due deliveries
 * @param timeout             an attempt's limit, connecting included
 * @param secretOverlap       how long the previous secret still signs after a rotation
 * @param concurrency         attempts in flight per node
 */
@ConfigurationProperties("creditmeter.webhooks")
record WebhookProperties(boolean allowPrivateTargets, List<Duration> retrySchedule, Duration pollInterval,
                         Duration timeout, Duration secretOverlap, Integer concurrency) {

    static final List<Duration> DEFAULT_SCHEDULE = List.of(Duration.ofSeconds(5), Duration.ofMinutes(5),
            Duration.ofMinutes(30), Duration.ofHours(2), Duration.ofHours(5), Duration.ofHours(10), Duration.ofHours(10));

    WebhookProperties {
        retrySchedule = retrySchedule == null || retrySchedule.isEmpty() ? DEFAULT_SCHEDULE : List.copyOf(retrySchedule);
        pollInterval = pollInterval == null ? Duration.ofSeconds(1) : pollInterval;
        timeout = timeout == null ? Duration.ofSeconds(10) : timeout;
        secretOverlap = secretOverlap == null ? Duration.ofHours(24) : secretOverlap;
        concurrency = concurrency == null ? 16 : concurrency;
        if (retrySchedule.stream().anyMatch(d -> d.isNegative() || d.isZero()) || timeout.isNegative()
                || timeout.isZero() || concurrency < 1) {
            throw new IllegalArgumentException("creditmeter.webhooks: retry-schedule and timeout must be positive");
        }
    }
}
