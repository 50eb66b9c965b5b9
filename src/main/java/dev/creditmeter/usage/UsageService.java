package dev.creditmeter.usage;

import dev.creditmeter.credits.CreditService;
import dev.creditmeter.credits.Hold;
import dev.creditmeter.credits.Money;
import dev.creditmeter.pricing.Pricing;
import dev.creditmeter.tiers.CallQuotas;
import dev.creditmeter.web.ApiException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Records a usage event and charges it in one transaction: claim the (user, event_id) slot together
 * with the hourly rollup, then settle the charge with its ledger row, opening the account if needed, and
 * count the call toward the tier's quota.
 * A duplicate event_id finds the slot taken and answers with the original event, charging nothing.
 * Capturing a hold records and charges its usage the same way, in the transaction that resolves the hold.
 */
@Service
public class UsageService {

    private final Pricing pricing;
    private final CreditService credits;
    private final UsageEvents events;
    private final CallQuotas quotas;
    private final TransactionTemplate transactions;
    private final Clock clock;
    private final JsonMapper json;
    private final Money byokFee;
    private final Timer chargeTimer;
    private final Counter recorded;
    private final Counter unpriced;
    private final Counter chargedMicros;

    UsageService(Pricing pricing, CreditService credits, UsageEvents events, CallQuotas quotas,
                 TransactionTemplate transactions,
                 Clock clock, JsonMapper json, MeterRegistry meters, @Value("${creditmeter.pricing.byok-fee:0}") Money byokFee) {
        this.pricing = pricing;
        this.credits = credits;
        this.events = events;
        this.quotas = quotas;
        this.transactions = transactions;
        this.clock = clock;
        this.json = json;
        this.byokFee = byokFee;
        this.chargeTimer = Timer.builder("creditmeter.usage.charge").description("Recording and charging one usage event")
                .publishPercentileHistogram().register(meters);
        this.recorded = Counter.builder("creditmeter.usage.events").description("Usage events recorded").register(meters);
        this.unpriced = Counter.builder("creditmeter.usage.unpriced").description("Usage events with no price").register(meters);
        this.chargedMicros = Counter.builder("creditmeter.usage.charged").baseUnit("micro-credits")
                .description("Credits charged for usage").register(meters);
    }

    /** A usage event as reported. Costs are micro-credits; token counts and the cost may be null. */
    record Track(String userId, String eventId, String service, String model, Long tokens, Long inputTokens,
                 Long outputTokens, Long costMicros, boolean free, boolean byok, Map<String, Object> metadata) {
    }

    sealed interface Tracked {
        UsageEvent event();

        record Recorded(UsageEvent event) implements Tracked {
        }

        record Duplicate(UsageEvent event) implements Tracked {
        }
    }

    Tracked track(Track t) {
        return chargeTimer.record(() -> transactions.execute(status -> recordAndCharge(t, quote(t), null)));
    }

    /** What a capture charges: exactly an amount (the final price, no markup), or usage priced like track. */
    sealed interface Capture {
        record Amount(Money amount, String service, String model, Long tokens, String eventId,
                      Map<String, Object> metadata) implements Capture {
        }

        /** The usage as {@code /usage/track} takes it; its user is the hold's. */
        record Usage(Track usage) implements Capture {
        }
    }

    sealed interface Captured {
        record Charged(UsageEvent event) implements Captured {
        }

        record NotFound(long holdId) implements Captured {
        }

        record AlreadyResolved(long holdId, String status) implements Captured {
        }
    }

    /**
     * Resolves the hold as captured and records and charges the actual usage, more or less than was held,
     * in one transaction. A hold resolves once: a second capture finds it resolved and charges nothing.
     *
     * @param owner the user the hold must belong to, or null for any user
     * @throws ApiException 409 when the capture names an event_id the user already recorded; nothing changes
     */
    Captured capture(long holdId, String owner, Capture capture) {
        return chargeTimer.record(() -> transactions.execute(status -> switch (credits.captureHold(holdId, owner)) {
            case CreditService.ResolveHoldResult.Resolved r -> new Captured.Charged(charge(r.hold(), capture));
            case CreditService.ResolveHoldResult.AlreadyResolved a ->
                    new Captured.AlreadyResolved(holdId, a.hold().status().wireName());
            case CreditService.ResolveHoldResult.NotFound n -> new Captured.NotFound(holdId);
        }));
    }

    private UsageEvent charge(Hold hold, Capture capture) {
        Track t;
        Pricing.Quote quote;
        switch (capture) {
            case Capture.Amount a -> {
                t = new Track(hold.userId(), a.eventId(), a.service(), a.model(), a.tokens(), null, null,
                        a.amount().micros(), false, false, withHoldId(a.metadata(), hold));
                quote = new Pricing.Quote(Pricing.Source.EVENT, false, a.amount().micros(), 0, 0);
            }
            case Capture.Usage u -> {
                var usage = u.usage();
                t = new Track(hold.userId(), usage.eventId(), usage.service(), usage.model(), usage.tokens(),
                        usage.inputTokens(), usage.outputTokens(), usage.costMicros(), usage.free(), usage.byok(),
                        withHoldId(usage.metadata(), hold));
                quote = quote(t);
            }
        }
        return switch (recordAndCharge(t, quote, hold)) {
            case Tracked.Recorded r -> r.event();
            // Answering with the earlier event would let a cheap event pay for this capture: refuse, and
            // the exception rolls the capture back, so the hold stays open.
            case Tracked.Duplicate d -> throw new ApiException(HttpStatus.CONFLICT,
                    "Event " + d.event().eventId() + " was already recorded");
        };
    }

    /** What a metered call (the gateway) was charged, and the balance right after. */
    public record Charge(Money charged, Money balanceAfter) {
    }

    /** A proxied call's usage: micro-credits for the cost; token counts and cost may be null. */
    public record CallUsage(String service, String model, Long inputTokens, Long outputTokens, Long costMicros,
                            boolean byok, Map<String, Object> metadata) {
    }

    /**
     * Settles a proxied call: captures its hold with the usage (priced like track, markup included). A hold
     * that resolved meanwhile (expired while upstream was slow) cannot be captured: the usage is then charged
     * without it, so a call that was served is never free.
     */
    public Charge settle(long holdId, String userId, CallUsage usage) {
        var capture = new Capture.Usage(track(userId, usage));
        return switch (capture(holdId, userId, capture)) {
            case Captured.Charged c -> new Charge(c.event().charged(), c.event().balanceAfter());
            case Captured.AlreadyResolved a -> record(userId, usage);
            case Captured.NotFound n -> throw new IllegalStateException("Hold " + holdId + " vanished");
        };
    }

    /** Records and charges a proxied call that had no hold (BYOK, free models). */
    public Charge record(String userId, CallUsage usage) {
        UsageEvent event = track(track(userId, usage)).event();
        return new Charge(event.charged(), event.balanceAfter());
    }

    private static Track track(String userId, CallUsage u) {
        return new Track(userId, null, u.service(), u.model(), null, u.inputTokens(), u.outputTokens(), u.costMicros(),
                false, u.byok(), u.metadata());
    }

    /** The caller's metadata with the hold's id set last, so that it cannot be overridden. */
    private static Map<String, Object> withHoldId(Map<String, Object> metadata, Hold hold) {
        var merged = new LinkedHashMap<String, Object>();
        if (metadata != null) {
            merged.putAll(metadata);
        }
        merged.put("hold_id", hold.id());
        return merged;
    }

    private Pricing.Quote quote(Track t) {
        return pricing.quote(new Pricing.Usage(t.model(), t.tokens(), t.inputTokens(), t.outputTokens(),
                t.costMicros(), t.free()));
    }

    /**
     * Records the event and charges it, inside the caller's transaction: claim the (user, event_id) slot
     * with the rollup, then settle the charge with its ledger row (opening the account if the user has none;
     * linked to the hold for a capture).
     */
    private Tracked recordAndCharge(Track t, Pricing.Quote quote, Hold hold) {
        String eventId = t.eventId() != null ? t.eventId() : UUID.randomUUID().toString();
        long tokens = t.tokens() != null ? t.tokens()
                : Math.addExact(t.inputTokens() == null ? 0 : t.inputTokens(), t.outputTokens() == null ? 0 : t.outputTokens());
        // BYOK: the user pays the provider directly; we meter the cost and charge only the BYOK fee.
        long markup = t.byok() ? 0 : quote.markupMicros();
        long total = t.byok() ? (quote.free() ? 0 : byokFee.micros()) : quote.totalMicros();
        var event = new UsageEvents.NewEvent(t.userId(), eventId, t.service(), t.model(), tokens, t.inputTokens(),
                t.outputTokens(), quote.providerCostMicros(), markup, total, t.byok() ? 0 : quote.markupBasisPoints(),
                total, quote.free(), t.byok(), quote.source().name().toLowerCase(Locale.ROOT),
                t.metadata() == null ? Map.of() : t.metadata(), clock.instant().truncatedTo(ChronoUnit.MICROS));

        var id = events.insert(event);
        if (id.isEmpty()) {
            // This event_id was recorded before (or by a concurrent request that committed first).
            return new Tracked.Duplicate(events.find(t.userId(), eventId).orElseThrow());
        }
        var account = hold == null
                ? credits.settleUsage(t.userId(), Money.ofMicros(total), t.service(), t.model(), id.get())
                : credits.settleCapture(hold, Money.ofMicros(total), t.service(), t.model(), id.get());
        // Every charged event counts one call toward the tier's quota, in this transaction.
        quotas.countCall(account);
        recorded.increment();
        chargedMicros.increment(total);
        if (quote.source() == Pricing.Source.UNPRICED) {
            unpriced.increment();
        }
        return new Tracked.Recorded(UsageEvents.view(id.get(), event, account.balance(), json));
    }
}
