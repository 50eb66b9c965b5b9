package dev.creditmeter.credits;

import java.util.Map;

/** What a balance change writes to the ledger besides the amount: its type, counterparty and links. */
record LedgerEntry(String type, String counterparty, String service, String model, Map<String, Object> costBreakdown,
                   Map<String, Object> metadata, String idempotencyKey, Long usageEventId) {

    static LedgerEntry of(String type, String counterparty, Map<String, Object> metadata, String idempotencyKey) {
        return new LedgerEntry(type, counterparty, null, null, null, metadata, idempotencyKey, null);
    }
}
