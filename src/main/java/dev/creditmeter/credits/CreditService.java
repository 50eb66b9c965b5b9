package dev.creditmeter.credits;

import dev.creditmeter.audit.AuditLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The facade of the money core: balances, allocations, deductions, refunds, holds and the ledger. */
@Service
public class CreditService {

    private final Counter insufficientDeducts;
    private final Counter insufficientHolds;
    private final Accounts accounts;
    private final Holds holds;
    private final LedgerEntries ledger;
    private final SignupPolicy signup;
    private final AuditLog audit;
    private final Clock clock;
    private final AccountRead accountRead;

    CreditService(Accounts accounts, Holds holds, LedgerEntries ledger, SignupPolicy signup, AuditLog audit,
                  Clock clock, MeterRegistry meters) {
        this.insufficientDeducts = refusals(meters, "deduct");
        this.insufficientHolds = refusals(meters, "hold");
        this.accounts = accounts;
        this.holds = holds;
        this.ledger = ledger;
        this.signup = signup;
        this.audit = audit;
        this.clock = clock;
        this.accountRead = new AccountRead(accounts, signup, clock);
    }

    private static Counter refusals(MeterRegistry meters, String operation) {
        return Counter.builder("creditmeter.credits.insufficient")
                .description("Requests refused because the available balance did not cover them")
                .tag("operation", operation).register(meters);
    }

    /**
     * The account, created with its sign-up allowance on first use. One statement, so outside a caller's
     * transaction it costs one round trip and no BEGIN/COMMIT.
     */
    public Account balance(String userId) {
        return accounts.provisionAndFind(userId, signup, clock.instant())
                .or(() -> accounts.find(userId))
                .orElseThrow();
    }

    /**
     * What {@link #balance} reads, as SQL text, for a feature that reads its own rows about the account in
     * the same statement (the call quota of {@code GET /balance}).
     */
    public AccountRead accountRead() {
        return accountRead;
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

    /**
     * Adds non-expiring bonus credits that another feature awards (a coupon redemption), provisioning an
     * unknown user first; the ledger row has type {@code bonus}. Joins the caller's transaction, so the
     * award commits or rolls back with whatever earned it. The caller audits the action it belongs to.
     *
     * @param counterparty where the credits come from, e.g. {@code coupon:WELCOME10}
     */
    @Transactional
    public Account grantBonus(String userId, Money amount, String counterparty, Map<String, Object> metadata) {
        if (!amount.isPositive()) {
            throw new IllegalArgumentException("A bonus must be positive");
        }
        accounts.provision(userId, signup, clock.instant());
        return accounts.credit(userId, amount, LedgerEntry.of("bonus", counterparty, metadata, null)).orElseThrow();
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
            case DeductResult.Insufficient i -> {
                insufficientDeducts.increment();
                yield "insufficient_credits";
            }
            case DeductResult.NoAccount n -> "no_account";
        };
        audit.record(actor, "credit.deduct", userId, null, outcome,
                Map.of("amount", amount.toString(), "service", service));
        return result;
    }

    public sealed interface SwitchTierResult {
        Account account();

        record Switched(Account account) implements SwitchTierResult {
        }

        /** The account already had the tier: nothing changed. */
        record SameTier(Account account) implements SwitchTierResult {
        }
    }

    /**
     * Moves an account (provisioned first) to another tier in one statement: the unused allowance expires,
     * the new allowance is granted (repaying debt first) and the new period starts. Same tier: no change.
     */
    @Transactional
    public SwitchTierResult switchTier(String userId, NewPeriod period) {
        accounts.provision(userId, signup, clock.instant());
        return accounts.startPeriod(userId, period, "tier <> :guardTier", Map.of("guardTier", period.tier()))
                .<SwitchTierResult>map(SwitchTierResult.Switched::new)
                .orElseGet(() -> new SwitchTierResult.SameTier(accounts.find(userId).orElseThrow()));
    }

    /**
     * Locks up to {@code limit} accounts whose period ended by {@code now} and that no other node has
     * locked, for the caller to renew in the same transaction.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public List<Account> claimDueRenewals(Instant now, int limit) {
        return accounts.claimDue(now, limit);
    }

    /**
     * Renews a claimed account whose period ended by {@code now}: starts {@code period} in one statement.
     * Empty when the account was renewed meanwhile.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public Optional<Account> renew(String userId, NewPeriod period, Instant now) {
        return accounts.startPeriod(userId, period, "reset_date <= :guardNow",
                Map.of("guardNow", java.sql.Timestamp.from(now)));
    }

    public sealed interface PlaceHoldResult {
        record Placed(Hold hold) implements PlaceHoldResult {
        }

        record Insufficient(Money required, Money available) implements PlaceHoldResult {
        }
    }

    /**
     * Reserves credits until {@code ttl} has passed, provisioning an unknown user first. Never takes the
     * available balance below zero: refuses instead. Writes no ledger row, since the balance is unchanged.
     */
    @Transactional
    public PlaceHoldResult placeHold(String userId, Money amount, Duration ttl, Map<String, Object> metadata) {
        return place(userId, amount, ttl, metadata, true);
    }

    /**
     * As {@link #placeHold}, for a hold that never leaves this node: the gateway places it, forwards one call and
     * resolves it. Two differences make it cheap on every call:
     * <ul>
     * <li>No transaction: each statement is atomic by itself (provisioning with its ledger row; the hold with
     * the held amount), so the common case is one round trip.</li>
     * <li>The hold commits without waiting for the WAL to reach the disk ({@code synchronous_commit} off for that
     * statement's transaction alone). A hold moves no money: if the database crashes before the flush, the hold
     * and the held amount it added vanish together (held = Σ open holds still holds, the ledger is untouched),
     * and the call it admitted, still in flight, settles only by a durable commit, which comes after it in the
     * WAL. Inside a caller's transaction the setting would apply to all of it, money moved included: hence
     * {@code NEVER}, which refuses to run in one.</li>
     * </ul>
     */
    @Transactional(propagation = Propagation.NEVER)
    public PlaceHoldResult placeCallHold(String userId, Money amount, Duration ttl, Map<String, Object> metadata) {
        return place(userId, amount, ttl, metadata, false);
    }

    private PlaceHoldResult place(String userId, Money amount, Duration ttl, Map<String, Object> metadata,
                                  boolean flushOnCommit) {
        Instant now = clock.instant();
        var placed = holds.place(userId, amount, now, now.plus(ttl), metadata, flushOnCommit);
        if (placed.isEmpty()) {
            // No account yet, or not enough available. Provisioning is a no-op for an existing account, and a
            // caller that admitted the call first (quota check) has provisioned it already: one statement.
            accounts.provision(userId, signup, now);
            placed = holds.place(userId, amount, now, now.plus(ttl), metadata, flushOnCommit);
        }
        return placed.<PlaceHoldResult>map(PlaceHoldResult.Placed::new).orElseGet(() -> {
            insufficientHolds.increment();
            return new PlaceHoldResult.Insufficient(amount, accounts.find(userId).orElseThrow().available());
        });
    }

    /**
     * The hold, if it exists and belongs to {@code owner}.
     *
     * @param owner the user the hold must belong to, or null for any user (admins and services)
     */
    @Transactional(readOnly = true)
    /** A user's open holds, oldest first, at most {@code limit}. */
    public List<Hold> openHolds(String userId, int limit) {
        return holds.open(userId, limit);
    }

    public Optional<Hold> hold(long holdId, String owner) {
        return holds.find(holdId).filter(hold -> owner == null || hold.userId().equals(owner));
    }

    public sealed interface ResolveHoldResult {
        /** The hold is now in the status asked for. */
        record Resolved(Hold hold) implements ResolveHoldResult {
        }

        /** The hold was resolved before (or had expired by now); its status says how. */
        record AlreadyResolved(Hold hold) implements ResolveHoldResult {
        }

        record NotFound(long holdId) implements ResolveHoldResult {
        }
    }

    /** Voids an open hold: its amount is available again. */
    @Transactional
    public ResolveHoldResult releaseHold(long holdId, String owner) {
        return resolve(holdId, owner, Hold.Status.RELEASED);
    }

    /**
     * First half of a capture: resolves the hold as captured, so that its amount is no longer held. The
     * caller charges the actual usage and notes it with {@link #recordCapture} in the same transaction, which is why
     * this method refuses to run outside one.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public ResolveHoldResult captureHold(long holdId, String owner) {
        return resolve(holdId, owner, Hold.Status.CAPTURED);
    }

    /**
     * Second half of a capture: notes on the hold what was charged for it and the usage event that charged
     * it. The charge itself (in full, into debt if need be; more or less than was held) is the usage
     * feature's, in the same transaction.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public void recordCapture(Hold hold, Money charged, long usageEventId) {
        holds.recordCapture(hold.id(), charged, usageEventId);
    }

    private ResolveHoldResult resolve(long holdId, String owner, Hold.Status to) {
        return holds.resolve(holdId, owner, to, clock.instant())
                .<ResolveHoldResult>map(hold -> hold.status() == to
                        ? new ResolveHoldResult.Resolved(hold)
                        : new ResolveHoldResult.AlreadyResolved(hold))
                .orElseGet(() -> hold(holdId, owner)
                        .<ResolveHoldResult>map(ResolveHoldResult.AlreadyResolved::new)
                        .orElseGet(() -> new ResolveHoldResult.NotFound(holdId)));
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

    /** Accounts whose user id contains {@code search}, by user id, with the number of matches. */
    @Transactional(readOnly = true)
    public AccountPage accounts(String search, int limit, int offset) {
        return new AccountPage(accounts.search(search, limit, offset), accounts.count(search));
    }

    public record AccountPage(List<Account> rows, long total) {
    }

    /** The account of a user, without provisioning one. */
    @Transactional(readOnly = true)
    public Optional<Account> findAccount(String userId) {
        return accounts.find(userId);
    }

    /** A page of the ledger, newest first, with the total number of matching rows. Does not provision. */
    @Transactional(readOnly = true)
    public TransactionPage transactions(String userId, String type, int limit, int offset) {
        return new TransactionPage(ledger.page(userId, type, limit, offset), ledger.count(userId, type));
    }

    public record TransactionPage(List<LedgerEntries.Transaction> rows, long total) {
    }

    /**
     * For every account: stored balance = Σ ledger amounts = the last row's balance_after, and stored
     * held = Σ its open holds.
     */
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
