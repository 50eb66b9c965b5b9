package dev.creditmeter.pricing;

import dev.creditmeter.audit.AuditLog;
import dev.creditmeter.credits.Money;
import dev.creditmeter.web.ApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Changes to the model catalogue: an admin's price, which wins over every later sync, and the import
 * of OpenRouter's list. Each change is audited in its own transaction; OpenRouter is read before the
 * transaction starts, so no database connection waits on the network.
 */
@Service
class CatalogueAdmin {

    private static final Logger log = LoggerFactory.getLogger(CatalogueAdmin.class);

    private final ModelPrices prices;
    private final OpenRouterModels openRouter;
    private final AuditLog audit;
    private final TransactionTemplate transactions;
    private final Clock clock;

    CatalogueAdmin(ModelPrices prices, OpenRouterModels openRouter, AuditLog audit, TransactionTemplate transactions,
                   Clock clock) {
        this.prices = prices;
        this.openRouter = openRouter;
        this.audit = audit;
        this.transactions = transactions;
        this.clock = clock;
    }

    List<ModelPrices.ModelPrice> all() {
        return prices.all();
    }

    ModelPrices.ModelPrice put(String model, Money input, Money output, boolean free, String actor) {
        return transactions.execute(status -> {
            var before = prices.find(model);
            var after = prices.putAdmin(model, input.micros(), output.micros(), free, clock.instant());
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("input_price_per_million", input.toString());
            details.put("output_price_per_million", output.toString());
            details.put("is_free", free);
            before.ifPresent(previous -> details.put("previous", Map.of(
                    "input_price_per_million", Money.ofMicros(previous.inputMicrosPerMillionTokens()).toString(),
                    "output_price_per_million", Money.ofMicros(previous.outputMicrosPerMillionTokens()).toString(),
                    "is_free", previous.free(),
                    "source", previous.source())));
            audit.record(actor, "pricing.update", null, "model:" + model, "success", details);
            return after;
        });
    }

    /** What a sync did; {@code unchanged} counts rows with the same price and admin overrides left alone. */
    record SyncResult(int imported, int updated, int unchanged, int skipped) {
    }

    SyncResult sync(String actor) {
        OpenRouterModels.Listed listed;
        try {
            listed = openRouter.fetch();
        } catch (OpenRouterModels.Unavailable e) {
            log.warn("Pricing sync failed: {}", e.getMessage());
            transactions.executeWithoutResult(status -> audit.record(actor, "pricing.sync", null, "openrouter",
                    "failure", Map.of("reason", e.getMessage())));
            throw new ApiException(HttpStatus.BAD_GATEWAY, "Failed to sync prices: " + e.getMessage());
        }
        Instant now = clock.instant();
        SyncResult result = transactions.execute(status -> {
            int imported = 0;
            int updated = 0;
            int unchanged = 0;
            for (var price : listed.prices()) {
                switch (prices.putSynced(price.model(), price.inputMicrosPerMillion(), price.outputMicrosPerMillion(),
                        price.free(), now)) {
                    case IMPORTED -> imported++;
                    case UPDATED -> updated++;
                    case UNCHANGED -> unchanged++;
                }
            }
            var counts = new SyncResult(imported, updated, unchanged, listed.skipped());
            audit.record(actor, "pricing.sync", null, "openrouter", "success", Map.of("imported", imported,
                    "updated", updated, "unchanged", unchanged, "skipped", listed.skipped()));
            return counts;
        });
        log.info("Pricing sync: {} imported, {} updated, {} unchanged, {} skipped", result.imported(), result.updated(),
                result.unchanged(), result.skipped());
        return result;
    }
}
