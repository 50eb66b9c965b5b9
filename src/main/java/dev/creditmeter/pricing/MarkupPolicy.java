package dev.creditmeter.pricing;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.math.BigDecimal;
import java.util.Comparator;
import java.util.List;

/**
 * The platform's share on top of the provider cost, by the provider cost of the request: the first
 * bracket whose {@code below} exceeds the cost gives the rate (in basis points: 1500 = 15 %).
 * Default, as the seed charged: below 0.001 → 5 %, below 0.01 → 10 %, otherwise 15 %.
 */
@ConfigurationProperties("creditmeter.pricing.markup")
record MarkupPolicy(List<Bracket> brackets, Integer aboveBasisPoints) {

    /** @param belowCredits upper bound of the bracket (exclusive), in credits */
    record Bracket(BigDecimal belowCredits, int basisPoints) {
    }

    MarkupPolicy {
        brackets = brackets == null || brackets.isEmpty()
                ? List.of(new Bracket(new BigDecimal("0.001"), 500), new Bracket(new BigDecimal("0.01"), 1000))
                : brackets.stream().sorted(Comparator.comparing(Bracket::belowCredits)).toList();
        aboveBasisPoints = aboveBasisPoints == null ? 1500 : aboveBasisPoints;
    }

    int basisPointsFor(long providerCostMicros) {
        for (Bracket bracket : brackets) {
            if (BigDecimal.valueOf(providerCostMicros, 6).compareTo(bracket.belowCredits()) < 0) {
                return bracket.basisPoints();
            }
        }
        return aboveBasisPoints;
    }
}
