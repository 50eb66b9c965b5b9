package dev.creditmeter.usage;

import dev.creditmeter.credits.CreditService;
import dev.creditmeter.credits.Money;
import dev.creditmeter.pricing.Pricing;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Records a usage event and charges it in one transaction: open the account if needed, claim the
 * (user, event_id) slot together with the hourly rollup, then settle the charge with its ledger row.
 * A duplicate event_id finds the slot taken and answers with the original event, charging nothing.
 */
@Service
public class UsageService {

    private final Pricing pricing;
    private final CreditService credits;
    private final UsageEvents events;
    private final TransactionTemplate transactions;
    private final Clock clock;
    private final JsonMapper json;
    private final Money byokFee;
    private final Timer chargeTimer;
    private final Counter recorded;
    private final Counter unpriced;
    private final Counter chargedMicros;

    UsageService(Pricing pricing, CreditService credits, UsageEvents events, TransactionTemplate transactions,
                 Clock clock, JsonMapper json, MeterRegistry meters, @Value("${creditmeter.pricing.byok-fee:0}") Money byokFee) {
        this.pricing = pricing;
        this.credits = credits;
        this.events = events;
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
        return chargeTimer.record(() -> transactions.execute(status -> record(t)));
    }

    private Tracked record(Track t) {
        String eventId = t.eventId() != null ? t.eventId() : UUID.randomUUID().toString();
        var quote = pricing.quote(new Pricing.Usage(t.model(), t.tokens(), t.inputTokens(), t.outputTokens(),
                t.costMicros(), t.free()));
        long tokens = t.tokens() != null ? t.tokens()
                : Math.addExact(t.inputTokens() == null ? 0 : t.inputTokens(), t.outputTokens() == null ? 0 : t.outputTokens());
        // BYOK: the user pays the provider directly; we meter the cost and charge only the BYOK fee.
        long markup = t.byok() ? 0 : quote.markupMicros();
        long total = t.byok() ? (quote.free() ? 0 : byokFee.micros()) : quote.totalMicros();
        var event = new UsageEvents.NewEvent(t.userId(), eventId, t.service(), t.model(), tokens, t.inputTokens(),
                t.outputTokens(), quote.providerCostMicros(), markup, total, t.byok() ? 0 : quote.markupBasisPoints(),
                total, quote.free(), t.byok(), quote.source().name().toLowerCase(Locale.ROOT),
                t.metadata() == null ? Map.of() : t.metadata(), clock.instant().truncatedTo(ChronoUnit.MICROS));

        credits.ensureAccount(t.userId());
        var id = events.insert(event);
        if (id.isEmpty()) {
            // This event_id was recorded before (or by a concurrent request that committed first).
            return new Tracked.Duplicate(events.find(t.userId(), eventId).orElseThrow());
        }
        var account = credits.settleUsage(t.userId(), Money.ofMicros(total), t.service(), t.model(), id.get());
        recorded.increment();
        chargedMicros.increment(total);
        if (quote.source() == Pricing.Source.UNPRICED) {
            unpriced.increment();
        }
        return new Tracked.Recorded(UsageEvents.view(id.get(), event, account.balance(), json));
    }
}
