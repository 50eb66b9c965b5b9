package dev.creditmeter.usage;

import dev.creditmeter.credits.Money;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One usage report, checked: the one input of the charge path, whatever it came from ({@code /usage/track},
 * batch ingestion, LiteLLM, a hold capture, the gateway). Built by {@link UsageInput} from what a client sent,
 * or by the gateway from what it saw.
 *
 * @param userId     whose usage; null until known (a capture takes the hold's user)
 * @param eventId    the client's id of the event, null for a generated one
 * @param cost       what the provider charged, or null to price the tokens from the catalogue
 * @param finalPrice {@code cost} is the price to charge as it is: no markup, no catalogue (a capture's amount)
 * @param free       marked free by the client: nothing charged
 * @param byok       paid to the provider with the user's own key: only the BYOK fee is charged
 */
public record Usage(String userId, String eventId, String service, String model,
                    Long tokens, Long inputTokens, Long outputTokens,
                    Money cost, boolean finalPrice, boolean free, boolean byok,
                    Map<String, Object> metadata) {

    public Usage {
        metadata = metadata == null ? Map.of() : metadata;
    }

    /** A proxied call as the gateway saw it: priced like track, markup included. */
    public static Usage ofCall(String userId, String service, String model, Long inputTokens,
                               Long outputTokens, Money cost, boolean byok,
                               Map<String, Object> metadata) {
        return new Usage(userId, null, service, model, null, inputTokens, outputTokens, cost, false, false, byok,
                metadata);
    }

    Usage forUser(String user) {
        return new Usage(user, eventId, service, model, tokens, inputTokens, outputTokens, cost, finalPrice, free,
                byok, metadata);
    }

    /** The same usage, its metadata with {@code key} set last, so that the caller cannot override it. */
    Usage withMetadata(String key, Object value) {
        var merged = new LinkedHashMap<>(metadata);
        merged.put(key, value);
        return new Usage(userId, eventId, service, model, tokens, inputTokens, outputTokens, cost, finalPrice, free,
                byok, merged);
    }

    /** The tokens used: as reported, else input + output. */
    long tokensUsed() {
        return tokens != null ? tokens
                : Math.addExact(inputTokens == null ? 0 : inputTokens, outputTokens == null ? 0 : outputTokens);
    }
}
