package dev.creditmeter.usage;

import dev.creditmeter.credits.CreditService;
import dev.creditmeter.credits.Hold;
import dev.creditmeter.credits.Money;
import dev.creditmeter.credits.SignupPolicy;
import dev.creditmeter.pricing.Pricing;
import dev.creditmeter.tiers.CallQuotas;
import dev.creditmeter.web.ApiException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * Records usage events and charges them: every metered input ends here as a {@link Usage}, is priced, and
 * goes through one charge path, {@link UsageEvents#record}: one statement that records the event with its
 * rollup, opens the account if needed, charges it with its ledger row and counts the call toward the quota.
 * <p>
 * Outside a transaction, concurrent events are coalesced: what waits while a charge runs is charged
 * together by the next one ({@link Coalescer}), each event still answered with its own result. Inside a
 * caller's transaction (an idempotent request, a capture) the event is charged in that transaction.
 * A duplicate event_id charges nothing and is answered with the original event.
 */
@Service
public class UsageService implements DisposableBean {

    private final Pricing pricing;
    private final CreditService credits;
    private final UsageEvents events;
    private final CallQuotas quotas;
    private final SignupPolicy signup;
    private final TransactionTemplate transactions;
    private final Clock clock;
    private final JsonMapper json;
    private final Money byokFee;
    private final Coalescer<UsageEvents.NewEvent, Optional<UsageEvents.Recorded>> coalescer;
    private final Timer chargeTimer;
    private final DistributionSummary chargeBatches;
    private final Counter recorded;
    private final Counter unpriced;
    private final Counter chargedMicros;

    UsageService(Pricing pricing, CreditService credits, UsageEvents events, CallQuotas quotas, SignupPolicy signup,
                 TransactionTemplate transactions, Clock clock, JsonMapper json, MeterRegistry meters,
                 @Value("${creditmeter.pricing.byok-fee:0}") Money byokFee,
                 @Value("${creditmeter.usage.charge-workers:2}") int chargeWorkers,
                 @Value("${creditmeter.usage.charge-batch:256}") int chargeBatch) {
        this.pricing = pricing;
        this.credits = credits;
        this.events = events;
        this.quotas = quotas;
        this.signup = signup;
        this.transactions = transactions;
        this.clock = clock;
        this.json = json;
        this.byokFee = byokFee;
        this.coalescer = new Coalescer<>("charge", chargeWorkers, chargeBatch, this::record);
        this.chargeTimer = Timer.builder("creditmeter.usage.charge").description("Recording and charging one usage event")
                .publishPercentileHistogram().register(meters);
        this.chargeBatches = DistributionSummary.builder("creditmeter.usage.charge.batch").baseUnit("events")
                .description("Events recorded and charged by one statement").register(meters);
        this.recorded = Counter.builder("creditmeter.usage.events").description("Usage events recorded").register(meters);
        this.unpriced = Counter.builder("creditmeter.usage.unpriced").description("Usage events with no price").register(meters);
        this.chargedMicros = Counter.builder("creditmeter.usage.charged").baseUnit("micro-credits")
                .description("Credits charged for usage").register(meters);
    }

    sealed interface Tracked {
        UsageEvent event();

        record Recorded(UsageEvent event) implements Tracked {
        }

        record Duplicate(UsageEvent event) implements Tracked {
        }
    }

    /** Records and charges one event of a known user. */
    Tracked track(Usage usage) {
        return chargeTimer.record(() -> {
            var event = newEvent(usage, null);
            var result = TransactionSynchronizationManager.isActualTransactionActive()
                    ? record(List.of(event)).getFirst()
                    : coalescer.submit(event);
            return tracked(event, result);
        });
    }

    /**
     * Records and charges events of known users in one transaction, one statement for all; an event_id a
     * user already has, or that an earlier event of the list has, is a duplicate.
     */
    List<Tracked> trackAll(List<Usage> usages) {
        if (usages.isEmpty()) {
            return List.of();
        }
        var batch = usages.stream().map(usage -> newEvent(usage, null)).toList();
        var results = recordApart(batch);
        var answer = new ArrayList<Tracked>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            answer.add(tracked(batch.get(i), results.get(i)));
        }
        return answer;
    }

    /** All events in one statement; when one of them breaks a data rule, each alone, so the others count. */
    private List<Optional<UsageEvents.Recorded>> recordApart(List<UsageEvents.NewEvent> batch) {
        try {
            return record(batch);
        } catch (DataIntegrityViolationException e) {
            if (batch.size() == 1) {
                throw e;
            }
            return batch.stream().map(event -> record(List.of(event)).getFirst()).toList();
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
     * Resolves the hold as captured and records and charges the actual usage of its user, more or less than
     * was held, in one transaction. A hold resolves once: a second capture finds it resolved and charges
     * nothing.
     *
     * @param owner the user the hold must belong to, or null for any user
     * @throws ApiException 409 when the capture names an event_id the user already recorded; nothing changes
     */
    Captured capture(long holdId, String owner, Usage usage) {
        return chargeTimer.record(() -> transactions.execute(status -> switch (credits.captureHold(holdId, owner)) {
            case CreditService.ResolveHoldResult.Resolved r -> new Captured.Charged(charge(r.hold(), usage));
            case CreditService.ResolveHoldResult.AlreadyResolved a ->
                    new Captured.AlreadyResolved(holdId, a.hold().status().wireName());
            case CreditService.ResolveHoldResult.NotFound n -> new Captured.NotFound(holdId);
        }));
    }

    private UsageEvent charge(Hold hold, Usage usage) {
        var event = newEvent(usage.forUser(hold.userId()).withMetadata("hold_id", hold.id()), hold.id());
        return switch (tracked(event, record(List.of(event)).getFirst())) {
            case Tracked.Recorded r -> {
                credits.recordCapture(hold, r.event().charged(), r.event().id());
                yield r.event();
            }
            // Answering with the earlier event would let a cheap event pay for this capture: refuse, and
            // the exception rolls the capture back, so the hold stays open.
            case Tracked.Duplicate d -> throw new ApiException(HttpStatus.CONFLICT,
                    "Event " + d.event().eventId() + " was already recorded");
        };
    }

    /** What a metered call (the gateway) was charged, and the balance right after. */
    public record Charge(Money charged, Money balanceAfter) {
    }

    /**
     * Settles a proxied call: captures its hold with the usage (priced like track, markup included). A hold
     * that resolved meanwhile (expired while upstream was slow), or that is gone (the gateway's holds commit
     * without waiting for the disk, so a database crash may lose one), cannot be captured: the usage is then
     * charged without it, so a call that was served is never free.
     */
    public Charge settle(long holdId, Usage usage) {
        return switch (capture(holdId, usage.userId(), usage)) {
            case Captured.Charged c -> new Charge(c.event().charged(), c.event().balanceAfter());
            case Captured.AlreadyResolved a -> record(usage);
            case Captured.NotFound n -> record(usage);
        };
    }

    /** Records and charges a proxied call that had no hold (BYOK, free models). */
    public Charge record(Usage usage) {
        UsageEvent event = track(usage).event();
        return new Charge(event.charged(), event.balanceAfter());
    }

    private List<Optional<UsageEvents.Recorded>> record(List<UsageEvents.NewEvent> batch) {
        chargeBatches.record(batch.size());
        Instant now = clock.instant();
        return events.record(batch, new UsageEvents.Terms(signup, now, quotas.windows(now)));
    }

    private Tracked tracked(UsageEvents.NewEvent event, Optional<UsageEvents.Recorded> result) {
        if (result.isEmpty()) {
            // This event_id was recorded before (or by a concurrent request that committed first).
            return new Tracked.Duplicate(events.find(event.userId(), event.eventId()).orElseThrow());
        }
        recorded.increment();
        chargedMicros.increment(event.chargedMicros());
        if ("unpriced".equals(event.pricing())) {
            unpriced.increment();
        }
        return new Tracked.Recorded(UsageEvents.view(result.get().id(), event,
                Money.ofMicros(result.get().balanceAfterMicros()), json));
    }

    /** The event to store for a usage: priced (markup, BYOK fee, free models), its id given or generated. */
    private UsageEvents.NewEvent newEvent(Usage u, Long holdId) {
        Pricing.Quote quote = u.finalPrice()
                ? new Pricing.Quote(Pricing.Source.EVENT, false, u.cost().micros(), 0, 0)
                : pricing.quote(new Pricing.Usage(u.model(), u.tokens(), u.inputTokens(), u.outputTokens(),
                        u.cost() == null ? null : u.cost().micros(), u.free()));
        // BYOK: the user pays the provider directly; we meter the cost and charge only the BYOK fee.
        long markup = u.byok() ? 0 : quote.markupMicros();
        long total = u.byok() ? (quote.free() ? 0 : byokFee.micros()) : quote.totalMicros();
        return new UsageEvents.NewEvent(u.userId(), u.eventId() != null ? u.eventId() : UUID.randomUUID().toString(),
                u.service(), u.model(), u.tokensUsed(), u.inputTokens(), u.outputTokens(), quote.providerCostMicros(),
                markup, total, u.byok() ? 0 : quote.markupBasisPoints(), total, quote.free(), u.byok(),
                quote.source().name().toLowerCase(Locale.ROOT), u.metadata(),
                clock.instant().truncatedTo(ChronoUnit.MICROS), holdId);
    }

    /** Charges what is queued, then stops the charge workers. */
    @Override
    public void destroy() {
        coalescer.close();
    }
}
