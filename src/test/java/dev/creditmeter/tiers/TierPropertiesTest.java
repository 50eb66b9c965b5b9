package dev.creditmeter.tiers;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The catalogue and rollover bind from creditmeter.tiers.*, and default to the contract's tiers. */
class TierPropertiesTest {

    private static TierProperties bind(Map<String, String> properties) {
        return new Binder(new MapConfigurationPropertySource(properties))
                .bindOrCreate("creditmeter.tiers", TierProperties.class);
    }

    @Test
    void withoutConfigurationTheContractsFourTiersApplyWithoutRollover() {
        TierProperties properties = bind(Map.of());

        assertThat(properties.catalogue()).extracting(Tier::name)
                .containsExactly("trial", "starter", "professional", "enterprise");
        assertThat(properties.rollover()).isEqualTo(TierProperties.Rollover.NONE);
    }

    @Test
    void aConfiguredCatalogueReplacesTheDefaults() {
        TierProperties properties = bind(Map.of(
                "creditmeter.tiers.rollover", "full",
                "creditmeter.tiers.catalogue[0].name", "free",
                "creditmeter.tiers.catalogue[0].price-monthly", "0",
                "creditmeter.tiers.catalogue[0].credits-monthly", "0.5",
                "creditmeter.tiers.catalogue[0].features[0]", "10 calls a day",
                "creditmeter.tiers.catalogue[0].api-call-limit", "10",
                "creditmeter.tiers.catalogue[0].api-call-period", "day",
                "creditmeter.tiers.catalogue[1].name", "unlimited",
                "creditmeter.tiers.catalogue[1].price-monthly", "500",
                "creditmeter.tiers.catalogue[1].credits-monthly", "1000"));

        assertThat(properties.rollover()).isEqualTo(TierProperties.Rollover.FULL);
        assertThat(properties.catalogue()).hasSize(2);
        Tier free = properties.catalogue().getFirst();
        assertThat(free.creditsMonthly().micros()).isEqualTo(500_000);
        assertThat(free.apiCallLimit()).isEqualTo(10);
        assertThat(free.apiCallPeriod()).isEqualTo(Tier.CallPeriod.DAY);
        assertThat(free.features()).containsExactly("10 calls a day");
        Tier unlimited = properties.catalogue().get(1);
        assertThat(unlimited.apiCallLimit()).isNull();
        assertThat(unlimited.apiCallPeriod()).isEqualTo(Tier.CallPeriod.MONTH);
    }
}
