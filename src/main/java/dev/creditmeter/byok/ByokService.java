package dev.creditmeter.byok;

import dev.creditmeter.audit.AuditLog;
import dev.creditmeter.credits.Money;
import dev.creditmeter.openrouter.OpenRouterClient;
import dev.creditmeter.web.ApiException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.math.BigDecimal;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/** Users' own OpenRouter keys: verified with OpenRouter, stored sealed, synced, deleted, re-encrypted. */
@Service
public class ByokService {

    private final OpenRouterAccounts accounts;
    private final OpenRouterClient openRouter;
    private final KeyVault vault;
    private final AuditLog audit;
    private final Clock clock;

    ByokService(OpenRouterAccounts accounts, OpenRouterClient openRouter, KeyVault vault, AuditLog audit, Clock clock) {
        this.accounts = accounts;
        this.openRouter = openRouter;
        this.vault = vault;
        this.audit = audit;
        this.clock = clock;
    }

    /** Verifies the key with OpenRouter first: nothing is stored for a key OpenRouter does not accept. */
    OpenRouterAccounts.Account connect(String userId, String apiKey, String email) {
        var valid = switch (openRouter.checkKey(apiKey)) {
            case OpenRouterClient.KeyCheck.Valid v -> v;
            case OpenRouterClient.KeyCheck.Rejected r -> throw ApiException.badRequest("Invalid OpenRouter API key: " + r.reason());
            case OpenRouterClient.KeyCheck.Failed f -> throw ApiException.badRequest("Invalid OpenRouter API key: " + f.reason());
        };
        var account = accounts.save(userId, email, valid.label(), hint(apiKey), vault.seal(userId, apiKey),
                credits(valid.limitRemaining()), clock.instant());
        audit.record(userId, "byok.connect", userId, "openrouter", "success", Map.of("key_hint", account.keyHint()));
        return account;
    }

    Optional<OpenRouterAccounts.Account> account(String userId) {
        return accounts.find(userId);
    }

    Money sync(String userId) {
        String sealed = accounts.encryptedKey(userId)
                .orElseThrow(() -> ApiException.badRequest("No OpenRouter account for user " + userId));
        String apiKey;
        try {
            apiKey = vault.open(userId, sealed);
        } catch (Fernet.InvalidTokenException e) {
            // Sealed for another user, or with a key no longer in the keyring: unusable, never sent anywhere.
            throw ApiException.badRequest("Failed to sync credits: the stored key cannot be decrypted; connect it again");
        }
        return switch (openRouter.checkKey(apiKey)) {
            case OpenRouterClient.KeyCheck.Valid v -> {
                Money free = credits(v.limitRemaining());
                accounts.synced(userId, free, clock.instant());
                yield free;
            }
            case OpenRouterClient.KeyCheck.Rejected r -> throw ApiException.badRequest("Invalid OpenRouter API key: " + r.reason());
            case OpenRouterClient.KeyCheck.Failed f -> throw ApiException.badRequest("Failed to sync credits: " + f.reason());
        };
    }

    void disconnect(String userId) {
        accounts.delete(userId);
        audit.record(userId, "byok.delete", userId, "openrouter", "success", Map.of());
    }

    /** The caller's own key for upstream calls, if it has an active account. */
    public Optional<String> keyOf(String userId) {
        return accounts.encryptedKey(userId).map(sealed -> vault.open(userId, sealed));
    }

    /** Re-encrypts every stored key with the newest key of the keyring, in one transaction. */
    @Transactional
    public int rotate(String actor) {
        var all = accounts.lockAll();
        for (var row : all) {
            accounts.reencrypt(row.userId(), vault.reseal(row.userId(), row.encryptedKey()));
        }
        audit.record(actor, "byok.rotate", null, "openrouter_accounts", "success", Map.of("re_encrypted", all.size()));
        return all.size();
    }

    static String hint(String apiKey) {
        return "sk-or-v1-…" + (apiKey.length() >= 4 ? apiKey.substring(apiKey.length() - 4) : "");
    }

    /** OpenRouter's limit_remaining is in US dollars = credits; null (no limit) counts as 0 free credits. */
    private static Money credits(BigDecimal limitRemaining) {
        if (limitRemaining == null || limitRemaining.signum() <= 0) {
            return Money.ZERO;
        }
        try {
            return Money.parse(limitRemaining.toPlainString());
        } catch (IllegalArgumentException tooLarge) {
            return Money.ZERO;
        }
    }
}
