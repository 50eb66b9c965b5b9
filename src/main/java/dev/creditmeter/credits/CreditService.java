package dev.creditmeter.credits;

import dev.creditmeter.audit.AuditLog;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The facade of the money core: balances, allocations, deductions, refunds and the ledger. */
@Service
public class CreditService {

    private final Accounts accounts;
    private final LedgerEntries ledger;
    private final SignupPolicy signup;
    private final AuditLog audit;
    private final Clock clock;

    CreditService(Accounts accounts, LedgerEntries ledger, SignupPolicy signup, AuditLog audit, Clock clock) {
        this.accounts = accounts;
        this.ledger = ledger;
        this.signup = signup;
        this.audit = audit;
        this.clock = clock;
    }

    /** The account, created with its sign-up allowance on first use. */
    @Transactional
    public Account balance(String userId) {
        accounts.provision(userId, signup, clock.instant());
        return accounts.find(userId).orElseThrow();
    }

    /** Adds bonus credits, provisioning an unknown user first. */
    @Transactional
    public Account allocate(String userId, Money amount, String source, Map<String, Object> metadata,
                            String actor, String idempotencyKey) {
        accounts.provision(userId, signup, clock.instant());
        var entry = LedgerEntry.of("allocation", source, merge(metadata, "source", source), idempotencyKey);
        Account account = accounts.credit(userId, amount, entry).orElseThrow();
        audit.record(actor, "credit.allocate", userId, null, "success",
                Map.of("amount", amount.toString(), "source", source));
        return account;
    }

    public sealed interface DeductResult {
        record Deducted(Account account) implements DeductResult {
        }

        record Insufficient(Money required, Money available) implements DeductResult {
        }

        record NoAccount(String userId) implements DeductResult {
        }
    }

    /** Takes credits from an existing account: allowance first, then bonus; never below zero. */
    @Transactional
    public DeductResult deduct(String userId, Money amount, String service, String model,
                               Map<String, Object> costBreakdown, Map<String, Object> metadata,
                               String actor, String idempotencyKey) {
        var entry = new LedgerEntry("usage", service, service, model, costBreakdown,
                metadata == null ? Map.of() : metadata, idempotencyKey, null);
        DeductResult result = accounts.debit(userId, amount, entry)
                .<DeductResult>map(DeductResult.Deducted::new)
                .orElseGet(() -> accounts.find(userId)
                        .<DeductResult>map(account -> new DeductResult.Insufficient(amount, account.available()))
                        .orElseGet(() -> new DeductResult.NoAccount(userId)));
        String outcome = switch (result) {
            case DeductResult.Deducted d -> "success";
            case DeductResult.Insufficient i -> "insufficient_credits";
            case DeductResult.NoAccount n -> "no_account";
        };
        audit.record(actor, "credit.deduct", userId, null, outcome,
                Map.of("amount", amount.toString(), "service", service));
        return result;
    }

    /** Opens the account with its sign-up allowance if the user has none yet. */
    @Transactional
    public void ensureAccount(String userId) {
        accounts.provision(userId, signup, clock.instant());
    }

    /**
     * Charges a recorded usage event in full, also into debt; the ledger row links the event.
     * The account must exist ({@link #ensureAccount}). Returns the account after the charge.
     */
    @Transactional
    public Account settleUsage(String userId, Money amount, String service, String model, long usageEventId) {
        var entry = new LedgerEntry("usage", service, service, model, null, Map.of(), null, usageEventId);
        return accounts.settle(userId, amount, entry)
                .orElseThrow(() -> new IllegalStateException("No account for " + userId));
    }

    public sealed interface RefundResult {
        record Refunded(Account account) implements RefundResult {
        }

        record NoAccount(String userId) implements RefundResult {
        }
    }

    /** Gives credits back as bonus to an existing account. */
    @Transactional
    public RefundResult refund(String userId, Money amount, String reason, Map<String, Object> metadata,
                               String actor, String idempotencyKey) {
        var entry = LedgerEntry.of("refund", "refund", merge(metadata, "reason", reason), idempotencyKey);
        RefundResult result = accounts.credit(userId, amount, entry)
                .<RefundResult>map(RefundResult.Refunded::new)
                .orElseGet(() -> new RefundResult.NoAccount(userId));
        audit.record(actor, "credit.refund", userId, null,
                result instanceof RefundResult.Refunded ? "success" : "no_account",
                Map.of("amount", amount.toString(), "reason", reason));
        return result;
    }

    /** A page of the ledger, newest first, with the total number of matching rows. Does not provision. */
    @Transactional(readOnly = true)
    public TransactionPage transactions(String userId, String type, int limit, int offset) {
        return new TransactionPage(ledger.page(userId, type, limit, offset), ledger.count(userId, type));
    }

    public record TransactionPage(List<LedgerEntries.Transaction> rows, long total) {
    }

    /** For every account: stored balance = Σ ledger amounts = the last row's balance_after. */
    @Transactional(readOnly = true)
    public LedgerReport verifyLedger() {
        var inconsistencies = ledger.inconsistencies();
        return new LedgerReport(inconsistencies.isEmpty(), ledger.accountCount(), inconsistencies);
    }

    public record LedgerReport(boolean consistent, long accountsChecked,
                               List<LedgerEntries.Inconsistency> inconsistencies) {
    }

    /** The caller's metadata with the ledger's own key set last, so that it cannot be overridden. */
    private static Map<String, Object> merge(Map<String, Object> given, String key, String value) {
        var merged = new LinkedHashMap<String, Object>();
        if (given != null) {
            merged.putAll(given);
        }
        merged.put(key, value);
        return merged;
    }
}
