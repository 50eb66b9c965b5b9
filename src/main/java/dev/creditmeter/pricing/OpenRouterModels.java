package dev.creditmeter.pricing;

import dev.creditmeter.openrouter.OpenRouterClient;
import dev.creditmeter.openrouter.OpenRouterProperties;
import dev.creditmeter.credits.Money;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads OpenRouter's model list, {@code GET {base}/models}, with the platform key, and turns its prices
 * (USD per token, as decimal strings such as {@code "0.0000025"}) into catalogue prices (micro-credits
 * per million tokens, 1 credit = 1 USD): exactly, with BigDecimal, rounded half-even once.
 * Failure reasons are our own words: never an exception message, which might quote a request.
 */
@Component
class OpenRouterModels {

    /** Catalogue prices above a billion credits per million tokens are not taken as prices. */
    private static final long MAX_MICROS_PER_MILLION = Money.MAX_CREDITS.longValueExact() * Money.MICROS_PER_CREDIT;
    private static final int MAX_PRICE_LENGTH = 64;

    private final OpenRouterProperties settings;
    private final OpenRouterClient openRouter;
    /** OpenRouter's documents, not our API's: lenient about their shape, exact about their numbers. */
    private final JsonMapper json = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    OpenRouterModels(OpenRouterProperties settings, OpenRouterClient openRouter) {
        this.settings = settings;
        this.openRouter = openRouter;
    }

    /** One model's price from the list, in micro-credits per million tokens. */
    record Price(String model, long inputMicrosPerMillion, long outputMicrosPerMillion, boolean free) {
    }

    /** The usable prices, and how many entries had none (missing, negative or unreadable). */
    record Listed(List<Price> prices, int skipped) {
    }

    /** OpenRouter could not be read; the message is safe to show and to log. */
    static final class Unavailable extends RuntimeException {
        Unavailable(String reason) {
            super(reason, null, false, false);
        }
    }

    Listed fetch() {
        return parse(download());
    }

    private String download() {
        var reply = openRouter.get("/models", settings.platformKey());
        if (reply.status() == 0) {
            throw new Unavailable("OpenRouter did not answer (" + reply.failure() + ")");
        }
        if (reply.status() != 200) {
            throw new Unavailable("OpenRouter answered HTTP " + reply.status());
        }
        return reply.body();
    }

    Listed parse(String body) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (JacksonException e) {
            throw new Unavailable("OpenRouter answered with unreadable JSON");
        }
        JsonNode data = root == null ? null : root.path("data");
        if (data == null || !data.isArray()) {
            throw new Unavailable("OpenRouter's answer has no model list");
        }
        List<Price> prices = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        int skipped = 0;
        for (JsonNode entry : data) {
            JsonNode id = entry.path("id");
            String model = id.isString() ? id.asString().strip() : "";
            Long input = microsPerMillion(entry.path("pricing").path("prompt"));
            Long output = microsPerMillion(entry.path("pricing").path("completion"));
            if (!ModelPrices.isValidId(model) || input == null || output == null || !seen.add(model)) {
                skipped++;
                continue;
            }
            boolean free = model.endsWith(":free") || (input == 0 && output == 0);
            prices.add(new Price(model, input, output, free));
        }
        return new Listed(List.copyOf(prices), skipped);
    }

    /**
     * USD per token → micro-credits per million tokens: × 10^6 tokens × 10^6 micros, rounded half-even.
     * Null when the price is missing, not a number, negative or absurdly large.
     */
    static Long microsPerMillion(JsonNode price) {
        BigDecimal perToken;
        if (price.isString()) {
            String text = price.asString().strip();
            if (text.isEmpty() || text.length() > MAX_PRICE_LENGTH) {
                return null;
            }
            try {
                perToken = new BigDecimal(text);
            } catch (NumberFormatException e) {
                return null;
            }
        } else if (price.isNumber()) {
            perToken = price.decimalValue();
        } else {
            return null;
        }
        if (perToken.signum() < 0) {
            return null;
        }
        if (perToken.precision() - perToken.scale() > 4) {
            return null; // 10,000 USD or more per token: no price; also keeps huge exponents from being expanded
        }
        BigDecimal micros = perToken.movePointRight(12);
        if (micros.precision() - micros.scale() < -1) {
            return 0L; // below 0.1 micros per million: rounds to zero, and a tiny exponent is never expanded
        }
        long rounded = micros.setScale(0, RoundingMode.HALF_EVEN).longValueExact();
        return rounded <= MAX_MICROS_PER_MILLION ? rounded : null;
    }
}
