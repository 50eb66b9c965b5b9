package dev.creditmeter.events;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.math.BigDecimal;

/**
 * The platform's alert settings. The low-balance default reaches the database's triggers through each
 * connection's session settings ({@code spring.datasource.hikari.connection-init-sql}); checking them here stops
 * the service at start rather than failing every charge with a value the database cannot read.
 *
 * @param lowBalance        the threshold in credits for accounts without their own, or null
 * @param lowBalanceShare   else the threshold as a share (0 to 1) of the account's monthly allowance, or null
 * @param quotaWarningShare quota.warning fires at the call that uses this share of the call quota
 */
@ConfigurationProperties("creditmeter.alerts")
record AlertProperties(BigDecimal lowBalance, BigDecimal lowBalanceShare, BigDecimal quotaWarningShare) {

    AlertProperties {
        if (lowBalance != null && (lowBalance.signum() < 0 || lowBalance.compareTo(BigDecimal.valueOf(1_000_000_000)) > 0)) {
            throw new IllegalArgumentException("creditmeter.alerts.low-balance must be 0 to 1000000000 credits");
        }
        if (lowBalanceShare != null && !isShare(lowBalanceShare)) {
            throw new IllegalArgumentException("creditmeter.alerts.low-balance-share must be from 0 to 1");
        }
        quotaWarningShare = quotaWarningShare == null ? new BigDecimal("0.8") : quotaWarningShare;
        if (!isShare(quotaWarningShare) || quotaWarningShare.signum() == 0) {
            throw new IllegalArgumentException("creditmeter.alerts.quota-warning-share must be above 0 and at most 1");
        }
    }

    static boolean isShare(BigDecimal value) {
        return value.signum() >= 0 && value.compareTo(BigDecimal.ONE) <= 0;
    }
}
