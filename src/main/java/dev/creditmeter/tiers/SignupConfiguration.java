package dev.creditmeter.tiers;

import dev.creditmeter.credits.Money;
import dev.creditmeter.credits.SignupPolicy;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The sign-up policy the money core provisions new accounts with, settled once at start-up from
 * {@code creditmeter.signup.*} and the tier catalogue. A sign-up tier the catalogue does not know is a
 * configuration error unless an allowance is configured for it: the service refuses to start.
 */
@Configuration(proxyBeanMethods = false)
class SignupConfiguration {

    /**
     * @param tier      the tier of a new account ({@code trial} unless set)
     * @param allowance its first period's allowance in credits; unset: the tier's {@code credits-monthly}
     */
    @ConfigurationProperties("creditmeter.signup")
    record SignupProperties(String tier, Money allowance) {
        SignupProperties {
            tier = tier == null || tier.isBlank() ? "trial" : tier;
        }
    }

    @Bean
    SignupPolicy signupPolicy(SignupProperties properties, TierCatalogue catalogue) {
        Money allowance = properties.allowance() != null ? properties.allowance()
                : catalogue.find(properties.tier()).map(Tier::creditsMonthly).orElseThrow(() -> new IllegalStateException(
                "creditmeter.signup.tier '" + properties.tier() + "' is not in the tier catalogue; "
                        + "add it or set creditmeter.signup.allowance"));
        return new SignupPolicy(properties.tier(), allowance);
    }
}
