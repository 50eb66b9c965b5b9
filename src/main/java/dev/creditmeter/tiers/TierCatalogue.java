package dev.creditmeter.tiers;

import org.springframework.stereotype.Component;

import java.util.List;
import java.util.Optional;

/** The configured tiers, in order. */
@Component
class TierCatalogue {

    private final List<Tier> tiers;
    private final TierProperties.Rollover rollover;

    TierCatalogue(TierProperties properties) {
        this.tiers = properties.catalogue();
        this.rollover = properties.rollover();
        for (Tier tier : tiers) {
            if (tier.name() == null || tier.name().isBlank() || tier.creditsMonthly() == null
                    || tier.creditsMonthly().micros() < 0) {
                throw new IllegalStateException("creditmeter.tiers.catalogue: every tier needs a name and credits-monthly >= 0");
            }
        }
    }

    List<Tier> all() {
        return tiers;
    }

    Optional<Tier> find(String name) {
        return tiers.stream().filter(tier -> tier.name().equals(name)).findFirst();
    }

    TierProperties.Rollover rollover() {
        return rollover;
    }
}
