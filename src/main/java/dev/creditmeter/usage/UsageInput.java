package dev.creditmeter.usage;

import dev.creditmeter.credits.Money;
import dev.creditmeter.web.Validation;

import java.util.Map;

/**
 * The one check of reported usage, for every route that takes it: builds a {@link Usage} or throws 422
 * naming every bad field. Track, batch ingestion and LiteLLM report usage; a capture reports usage or
 * the final amount.
 */
final class UsageInput {

    static final long MAX_TOKENS = 1_000_000_000_000L;

    private UsageInput() {
    }

    /** Usage to be priced: the provider's cost, else the catalogue price of the tokens; markup added. */
    static Usage reported(String userId, String eventId, String service, String model, Long tokens,
                          Long inputTokens, Long outputTokens, Money cost, Boolean free, Boolean byok,
                          Map<String, Object> metadata) {
        common(eventId, model, tokens, inputTokens, outputTokens)
                .text(service, "service")
                .optionalText(userId, "user_id")
                .require(cost == null || cost.micros() >= 0, "cost", "must be 0 or more")
                .throwIfInvalid();
        return new Usage(userId, eventId, service, model, tokens, inputTokens, outputTokens, cost, false,
                Boolean.TRUE.equals(free), Boolean.TRUE.equals(byok), metadata);
    }

    /** Usage at a final price: charged exactly {@code amount}, no markup, for the user the caller sets. */
    static Usage atPrice(Money amount, String eventId, String service, String model, Long tokens,
                         Long inputTokens, Long outputTokens, Map<String, Object> metadata) {
        common(eventId, model, tokens, inputTokens, outputTokens)
                .require(amount.isPositive(), "amount", "must be greater than 0")
                .optionalText(service, "service")
                .throwIfInvalid();
        return new Usage(null, eventId, service == null ? "hold" : service, model, tokens, inputTokens,
                outputTokens, amount, true, false, false, metadata);
    }

    private static Validation common(String eventId, String model, Long tokens, Long inputTokens,
                                     Long outputTokens) {
        return new Validation()
                .optionalText(model, "model")
                .require(eventId == null || (!eventId.isBlank() && eventId.length() <= Validation.MAX_TEXT_LENGTH),
                        "event_id", "must be 1 to 255 characters")
                .require(tokenCount(tokens), "tokens", "must be an integer from 0 to " + MAX_TOKENS)
                .require(tokenCount(inputTokens), "input_tokens", "must be an integer from 0 to " + MAX_TOKENS)
                .require(tokenCount(outputTokens), "output_tokens", "must be an integer from 0 to " + MAX_TOKENS);
    }

    private static boolean tokenCount(Long value) {
        return value == null || (value >= 0 && value <= MAX_TOKENS);
    }
}
