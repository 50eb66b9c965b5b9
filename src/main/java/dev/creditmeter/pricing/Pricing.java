package dev.creditmeter.pricing;

import org.springframework.stereotype.Service;

import java.math.BigInteger;
import java.math.RoundingMode;
import java.math.BigDecimal;

/**
 * Prices one usage event (contract §3): the event's own cost, else the catalogue, else "unpriced";
 * free models cost nothing; then the markup policy adds the platform's share.
 */
@Service
public class Pricing {

    private final ModelPrices catalogue;
    private final MarkupPolicy markup;

    Pricing(ModelPrices catalogue, MarkupPolicy markup) {
        this.catalogue = catalogue;
        this.markup = markup;
    }

    /** What the request says about itself. Token counts may be null; costs are micro-credits. */
    public record Usage(String model, Long tokens, Long inputTokens, Long outputTokens, Long costMicros,
                        boolean markedFree) {
    }

    /** How an event was priced and what it costs, all in micro-credits. */
    public record Quote(Source source, boolean free, long providerCostMicros, long markupMicros, int markupBasisPoints) {
        public long totalMicros() {
            return Math.addExact(providerCostMicros, markupMicros);
        }
    }

    public enum Source { EVENT, CATALOGUE, UNPRICED }

    public Quote quote(Usage usage) {
        boolean freeModel = usage.markedFree() || (usage.model() != null && usage.model().endsWith(":free"));
        if (usage.costMicros() != null) {
            return freeModel ? free(Source.EVENT) : withMarkup(Source.EVENT, usage.costMicros());
        }
        if (freeModel) {
            return free(Source.EVENT);
        }
        var price = usage.model() == null ? null : catalogue.find(usage.model()).orElse(null);
        if (price == null) {
            return new Quote(Source.UNPRICED, false, 0, 0, 0);
        }
        if (price.free() || (price.inputMicrosPerMillionTokens() == 0 && price.outputMicrosPerMillionTokens() == 0)) {
            return free(Source.CATALOGUE);
        }
        long input;
        long output;
        if (usage.inputTokens() != null || usage.outputTokens() != null) {
            input = usage.inputTokens() == null ? 0 : usage.inputTokens();
            output = usage.outputTokens() == null ? 0 : usage.outputTokens();
        } else {
            input = usage.tokens() == null ? 0 : usage.tokens(); // only a total: all at the input price
            output = 0;
        }
        BigInteger perMillion = BigInteger.valueOf(input).multiply(BigInteger.valueOf(price.inputMicrosPerMillionTokens()))
                .add(BigInteger.valueOf(output).multiply(BigInteger.valueOf(price.outputMicrosPerMillionTokens())));
        long cost = new BigDecimal(perMillion).movePointLeft(6).setScale(0, RoundingMode.HALF_EVEN).longValueExact();
        return withMarkup(Source.CATALOGUE, cost);
    }

    private Quote withMarkup(Source source, long costMicros) {
        int basisPoints = markup.basisPointsFor(costMicros);
        long markupMicros = BigDecimal.valueOf(costMicros).multiply(BigDecimal.valueOf(basisPoints))
                .movePointLeft(4).setScale(0, RoundingMode.HALF_EVEN).longValueExact();
        return new Quote(source, false, costMicros, markupMicros, basisPoints);
    }

    private static Quote free(Source source) {
        return new Quote(source, true, 0, 0, 0);
    }
}
