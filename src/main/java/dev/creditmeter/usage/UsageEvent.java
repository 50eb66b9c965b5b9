package dev.creditmeter.usage;

import dev.creditmeter.credits.Money;
import tools.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.time.Instant;

/** The contract's UsageEvent. {@code balance_after} is the balance right after this event's charge. */
record UsageEvent(long id, String userId, String eventId, String service, String model, long tokensUsed,
                  Long inputTokens, Long outputTokens, Money providerCost, Money platformMarkup, Money totalCost,
                  BigDecimal markupRate, boolean isFreeTier, boolean isByok, String pricing, Money charged,
                  Money balanceAfter, JsonNode metadata, Instant createdAt) {
}
