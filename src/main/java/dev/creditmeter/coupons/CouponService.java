package dev.creditmeter.coupons;

import dev.creditmeter.audit.AuditLog;
import dev.creditmeter.credits.CreditService;
import dev.creditmeter.credits.Money;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The facade of coupons. A redemption claims one use with a guarded UPDATE, records the redemption
 * (once per user by a UNIQUE constraint) and grants its credits through {@link CreditService}, all in
 * one transaction; a failed attempt is counted instead, and too many of them in an hour refuse the user
 * for a while, so that codes cannot be guessed.
 */
@Service
public class CouponService {

    /** What an admin may name a coupon, before upper-casing: ASCII only, so no locale folds into a code. */
    private static final Pattern CODE = Pattern.compile("[A-Za-z0-9_-]{3,50}");
    private static final String GENERATED_PREFIX = "UC-";
    private static final String GENERATED_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final int GENERATED_LENGTH = 8;
    private static final int GENERATION_ATTEMPTS = 5;
    private static final Duration FAILURE_WINDOW = Duration.ofHours(1);
    /** Failed attempts are kept this long: the window plus time to look into an incident. */
    private static final Duration FAILURE_RETENTION = Duration.ofDays(1);
    private static final int MAX_STORED_CODE_LENGTH = 64;

    private final Coupons coupons;
    private final CreditService credits;
    private final AuditLog audit;
    private final Clock clock;
    private final TransactionTemplate transactions;
    private final TransactionTemplate savepoint;
    private final SecureRandom random = new SecureRandom();
    private final int failedAttemptsPerHour;

    CouponService(Coupons coupons, CreditService credits, AuditLog audit, Clock clock,
                  PlatformTransactionManager transactionManager,
                  @Value("${creditmeter.coupons.failed-redemptions-per-hour:10}") int failedAttemptsPerHour) {
        this.coupons = coupons;
        this.credits = credits;
        this.audit = audit;
        this.clock = clock;
        this.transactions = new TransactionTemplate(transactionManager);
        this.savepoint = new TransactionTemplate(transactionManager);
        this.savepoint.setPropagationBehavior(TransactionDefinition.PROPAGATION_NESTED);
        this.failedAttemptsPerHour = failedAttemptsPerHour;
    }

    /** Why a coupon cannot be redeemed, in the order the checks run; the first that fails wins. */
    enum Refusal {
        NOT_FOUND("Coupon code not found", "not_found"),
        INACTIVE("Coupon code is inactive", "inactive"),
        EXPIRED("Coupon code has expired", "expired"),
        LIMIT_REACHED("Coupon redemption limit reached", "limit_reached"),
        ALREADY_REDEEMED("You have already redeemed this coupon", "already_redeemed");

        private final String message;
        private final String outcome;

        Refusal(String message, String outcome) {
            this.message = message;
            this.outcome = outcome;
        }

        String message() {
            return message;
        }
    }

    /** A coupon to create; {@code code} null means "generate one". */
    record NewCoupon(CouponType type, Money value, String code, String description, Integer maxUses,
                     Instant expiresAt) {
    }

    sealed interface Creation {
        record Created(CouponCode coupon) implements Creation {
        }

        record DuplicateCode(String code) implements Creation {
        }
    }

    Creation create(NewCoupon command, String createdBy, String actor) {
        return transactions.execute(status -> {
            Instant now = clock.instant();
            String given = command.code() == null ? null : normalize(command.code()).orElseThrow();
            for (int attempt = 0; attempt < GENERATION_ATTEMPTS; attempt++) {
                String code = given != null ? given : generateCode();
                var inserted = coupons.insert(code, command.type(), command.value(), command.description(),
                        command.maxUses(), command.expiresAt(), createdBy, now);
                if (inserted.isPresent()) {
                    var coupon = inserted.get();
                    audit.record(actor, "coupon.create", null, code, "success", details(coupon));
                    return new Creation.Created(CouponCode.of(coupon, now));
                }
                if (given != null) {
                    audit.record(actor, "coupon.create", null, code, "duplicate", Map.of());
                    return new Creation.DuplicateCode(code);
                }
            }
            // 36^8 codes: five collisions in a row mean something is wrong with the generator, not bad luck.
            throw new IllegalStateException("Could not generate a free coupon code");
        });
    }

    /** Trimmed and upper-cased; empty when no coupon can have this code. */
    static Optional<String> normalize(String code) {
        if (code == null) {
            return Optional.empty();
        }
        String trimmed = code.strip();
        return CODE.matcher(trimmed).matches() ? Optional.of(trimmed.toUpperCase(Locale.ROOT)) : Optional.empty();
    }

    String generateCode() {
        var code = new StringBuilder(GENERATED_PREFIX);
        for (int i = 0; i < GENERATED_LENGTH; i++) {
            code.append(GENERATED_ALPHABET.charAt(random.nextInt(GENERATED_ALPHABET.length())));
        }
        return code.toString();
    }

    sealed interface RedeemResult {
        record Redeemed(Redemption redemption) implements RedeemResult {
        }

        record Refused(Refusal refusal) implements RedeemResult {
        }
    }

    /** The user has failed too often lately; {@code retryAfter} says when one more attempt is allowed. */
    static final class TooManyFailedAttempts extends RuntimeException {
        private final Duration retryAfter;

        TooManyFailedAttempts(Duration retryAfter) {
            super("Too many failed coupon redemptions", null, false, false);
            this.retryAfter = retryAfter;
        }

        Duration retryAfter() {
            return retryAfter;
        }
    }

    /**
     * Whether the user may attempt a redemption now: empty if so, else how long to wait. A refusal is
     * audited. Called before {@link #redeem} so that a refused attempt does no work; {@link #redeem} checks
     * again under the user's lock.
     */
    Optional<Duration> throttle(String userId, String actor) {
        return transactions.execute(status -> {
            Instant now = clock.instant();
            Optional<Duration> wait = retryAfter(userId, now);
            wait.ifPresent(d -> audit.record(actor, "coupon.redeem", userId, null, "rate_limited",
                    Map.of("retry_after_seconds", d.toSeconds())));
            return wait;
        });
    }

    /**
     * Redeems a coupon for {@code userId} in one transaction (joining the caller's, if any). A refusal
     * changes nothing but the count of failed attempts and the audit log.
     *
     * @throws TooManyFailedAttempts when the user has failed too often within the last hour
     */
    RedeemResult redeem(String userId, String rawCode, Map<String, Object> metadata, String actor) {
        return transactions.execute(status -> {
            coupons.lockAttemptsOf(userId);
            Instant now = clock.instant();
            retryAfter(userId, now).ifPresent(wait -> {
                throw new TooManyFailedAttempts(wait);
            });
            Optional<String> code = normalize(rawCode);
            RedeemResult result;
            try {
                result = code.isEmpty()
                        ? new RedeemResult.Refused(Refusal.NOT_FOUND)
                        : savepoint.execute(inner -> attempt(userId, code.get(), metadata, now));
            } catch (DuplicateKeyException e) {
                // A concurrent redemption by the same user committed first; the savepoint undid our claim.
                result = new RedeemResult.Refused(Refusal.ALREADY_REDEEMED);
            }
            String target = code.orElse(printable(rawCode));
            switch (result) {
                case RedeemResult.Redeemed r -> audit.record(actor, "coupon.redeem", userId, target, "success",
                        Map.of("coupon_type", r.redemption().couponType(),
                                "credits_awarded", r.redemption().creditsAwarded().toString()));
                case RedeemResult.Refused f -> {
                    coupons.recordFailure(userId, target, f.refusal().outcome, now);
                    audit.record(actor, "coupon.redeem", userId, target, f.refusal().outcome, Map.of());
                }
            }
            return result;
        });
    }

    private RedeemResult attempt(String userId, String code, Map<String, Object> metadata, Instant now) {
        Optional<Coupon> claimed = coupons.claim(code, userId, now);
        if (claimed.isEmpty()) {
            return new RedeemResult.Refused(why(code, userId, now));
        }
        Coupon coupon = claimed.get();
        Money award = switch (coupon.type()) {
            case CREDIT_BONUS -> coupon.value();
            // One month of the redeemer's tier allowance; opens the account if there is none.
            case FREE_MONTH -> credits.balance(userId).allocatedMonthly();
            // Recorded for the billing system, which applies them to the next invoice.
            case PERCENTAGE_DISCOUNT, FIXED_DISCOUNT -> Money.ZERO;
        };
        var redemption = coupons.recordRedemption(coupon, userId, award, metadata, now);
        if (award.isPositive()) {
            var ledgerMetadata = new LinkedHashMap<String, Object>();
            ledgerMetadata.put("reason", "coupon_redemption:" + code);
            ledgerMetadata.put("coupon_code", code);
            ledgerMetadata.put("coupon_type", coupon.type().wireName());
            credits.grantBonus(userId, award, "coupon:" + code, ledgerMetadata);
        }
        return new RedeemResult.Redeemed(redemption);
    }

    /** The first failing check for a coupon that could not be claimed. */
    private Refusal why(String code, String userId, Instant now) {
        return firstFailingCheck(coupons.find(code), code, userId, now)
                // Uses only run out and coupons only lapse, so a claim that failed has a reason; should one
                // vanish (an admin tool reactivating a coupon mid-request), "limit reached" is the safe answer.
                .orElse(Refusal.LIMIT_REACHED);
    }

    private Optional<Refusal> firstFailingCheck(Optional<Coupon> found, String code, String userId, Instant now) {
        if (found.isEmpty()) {
            return Optional.of(Refusal.NOT_FOUND);
        }
        Coupon coupon = found.get();
        if (!coupon.active()) {
            return Optional.of(Refusal.INACTIVE);
        }
        if (coupon.expiredAt(now)) {
            return Optional.of(Refusal.EXPIRED);
        }
        if (coupon.exhausted()) {
            return Optional.of(Refusal.LIMIT_REACHED);
        }
        if (coupons.redeemed(code, userId)) {
            return Optional.of(Refusal.ALREADY_REDEEMED);
        }
        return Optional.empty();
    }

    sealed interface Validity {
        record Valid(CouponCode coupon) implements Validity {
        }

        record Invalid(Refusal refusal) implements Validity {
        }
    }

    /** The checks of a redemption for {@code userId}, without redeeming, counting or auditing anything. */
    Validity validate(String userId, String rawCode) {
        Optional<String> code = normalize(rawCode);
        if (code.isEmpty()) {
            return new Validity.Invalid(Refusal.NOT_FOUND);
        }
        return transactions.execute(status -> {
            Instant now = clock.instant();
            Optional<Coupon> found = coupons.find(code.get());
            return firstFailingCheck(found, code.get(), userId, now)
                    .<Validity>map(Validity.Invalid::new)
                    .orElseGet(() -> new Validity.Valid(CouponCode.of(found.orElseThrow(), now)));
        });
    }

    record CouponPage(List<CouponCode> rows, long total) {
    }

    CouponPage list(boolean redeemableOnly, int limit, int offset) {
        return transactions.execute(status -> {
            Instant now = clock.instant();
            return new CouponPage(coupons.page(redeemableOnly, now, limit, offset).stream()
                    .map(coupon -> CouponCode.of(coupon, now)).toList(), coupons.count(redeemableOnly, now));
        });
    }

    /** Soft delete. Empty when there is no such coupon. */
    Optional<CouponCode> deactivate(String rawCode, String actor) {
        Optional<String> code = normalize(rawCode);
        if (code.isEmpty()) {
            return Optional.empty();
        }
        return transactions.execute(status -> {
            Instant now = clock.instant();
            Optional<Coupon> deactivated = coupons.deactivate(code.get(), now);
            deactivated.ifPresent(coupon -> audit.record(actor, "coupon.deactivate", null, coupon.code(), "success",
                    Map.of("used_count", coupon.usedCount())));
            return deactivated.map(coupon -> CouponCode.of(coupon, now));
        });
    }

    record RedemptionPage(List<Redemption> rows, long total) {
    }

    RedemptionPage redemptions(String userId, int limit, int offset) {
        return transactions.execute(status ->
                new RedemptionPage(coupons.redemptions(userId, limit, offset), coupons.redemptionCount(userId)));
    }

    /** Deleting old failures is safe on every node at once. By the database's clock, which never jumps. */
    @Scheduled(fixedDelayString = "${creditmeter.coupons.purge-interval:1h}", initialDelayString = "1m")
    void purgeOldFailures() {
        coupons.purgeFailuresOlderThan(FAILURE_RETENTION);
    }

    private Optional<Duration> retryAfter(String userId, Instant now) {
        return coupons.limitingFailure(userId, now.minus(FAILURE_WINDOW), failedAttemptsPerHour)
                .map(failure -> {
                    Duration wait = Duration.between(now, failure.plus(FAILURE_WINDOW));
                    return wait.isNegative() || wait.isZero() ? Duration.ofSeconds(1) : wait;
                });
    }

    private static Map<String, Object> details(Coupon coupon) {
        var details = new LinkedHashMap<String, Object>();
        details.put("coupon_type", coupon.type().wireName());
        details.put("value", coupon.value().toString());
        details.put("max_uses", coupon.maxUses());
        details.put("expires_at", coupon.expiresAt() == null ? null : coupon.expiresAt().toString());
        return details;
    }

    /**
     * A code that cannot exist, as the audit log and the failure count keep it: it may hold anything a
     * client sent (NUL, lone surrogates, control characters), so everything outside printable ASCII
     * becomes '?' and it is cut to a bounded length.
     */
    private static String printable(String code) {
        if (code == null) {
            return null;
        }
        var kept = new StringBuilder(Math.min(code.length(), MAX_STORED_CODE_LENGTH));
        for (int i = 0; i < code.length() && kept.length() < MAX_STORED_CODE_LENGTH; i++) {
            char c = code.charAt(i);
            kept.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return kept.toString();
    }
}
