package dev.creditmeter.usage;

import dev.creditmeter.credits.Money;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The usage summaries of contract routes 11–14 and the daily chart, shaped from {@link UsageTotals}. */
@Service
class UsageReports {

    private final UsageTotals totals;

    UsageReports(UsageTotals totals) {
        this.totals = totals;
    }

    /** A closed window [start, end], as the contract reports it; queries use [start, end + 1 µs). */
    record Period(Instant start, Instant end) {
        Instant endExclusive() {
            return end.plus(1, ChronoUnit.MICROS);
        }
    }

    record ServiceTotals(long eventCount, long tokens, Money cost) {
    }

    record Summary(long totalEvents, long totalTokens, Money totalCost, long freeTierEvents, long paidTierEvents,
                   Map<String, ServiceTotals> services, Period period) {
    }

    record ModelRow(String service, String model, long eventCount, long totalTokens, Money totalCost,
                    BigDecimal avgTokens, long freeEvents) {
    }

    record ServiceRow(String service, long eventCount, long totalTokens, Money totalCost, long uniqueModels,
                      long freeEvents) {
    }

    record FreeModel(String model, long eventCount, long tokens) {
    }

    record FreeTier(long totalFreeEvents, long totalFreeTokens, long uniqueFreeModels, List<FreeModel> models,
                    Period period) {
    }

    record Day(LocalDate date, String service, long eventCount, long tokens, Money cost) {
    }

    @Transactional(readOnly = true)
    Summary summary(String userId, Period period) {
        var rows = totals.byServiceAndModel(userId, period.start(), period.endExclusive());
        Map<String, ServiceTotals> services = new LinkedHashMap<>();
        rows.stream().collect(Collectors.groupingBy(UsageTotals.Row::service)).entrySet().stream()
                .map(e -> Map.entry(e.getKey(), new ServiceTotals(
                        e.getValue().stream().mapToLong(UsageTotals.Row::events).sum(),
                        e.getValue().stream().mapToLong(UsageTotals.Row::tokens).sum(),
                        Money.ofMicros(e.getValue().stream().mapToLong(UsageTotals.Row::costMicros).sum()))))
                .sorted(Map.Entry.<String, ServiceTotals>comparingByValue(Comparator.comparing(ServiceTotals::cost)).reversed()
                        .thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> services.put(e.getKey(), e.getValue()));
        long events = rows.stream().mapToLong(UsageTotals.Row::events).sum();
        long free = rows.stream().mapToLong(UsageTotals.Row::freeEvents).sum();
        return new Summary(events, rows.stream().mapToLong(UsageTotals.Row::tokens).sum(),
                Money.ofMicros(rows.stream().mapToLong(UsageTotals.Row::costMicros).sum()), free, events - free,
                services, period);
    }

    @Transactional(readOnly = true)
    List<ModelRow> byModel(String userId, Period period) {
        return totals.byServiceAndModel(userId, period.start(), period.endExclusive()).stream()
                .filter(row -> !row.model().isEmpty())
                .map(row -> new ModelRow(row.service(), row.model(), row.events(), row.tokens(),
                        Money.ofMicros(row.costMicros()),
                        BigDecimal.valueOf(row.tokens()).divide(BigDecimal.valueOf(row.events()), 2, RoundingMode.HALF_EVEN),
                        row.freeEvents()))
                .sorted(Comparator.comparing(ModelRow::totalCost).reversed()
                        .thenComparing(ModelRow::service).thenComparing(ModelRow::model))
                .toList();
    }

    @Transactional(readOnly = true)
    List<ServiceRow> byService(String userId, Period period) {
        return totals.byServiceAndModel(userId, period.start(), period.endExclusive()).stream()
                .collect(Collectors.groupingBy(UsageTotals.Row::service)).entrySet().stream()
                .map(e -> new ServiceRow(e.getKey(),
                        e.getValue().stream().mapToLong(UsageTotals.Row::events).sum(),
                        e.getValue().stream().mapToLong(UsageTotals.Row::tokens).sum(),
                        Money.ofMicros(e.getValue().stream().mapToLong(UsageTotals.Row::costMicros).sum()),
                        e.getValue().stream().filter(row -> !row.model().isEmpty()).count(),
                        e.getValue().stream().mapToLong(UsageTotals.Row::freeEvents).sum()))
                .sorted(Comparator.comparing(ServiceRow::totalCost).reversed().thenComparing(ServiceRow::service))
                .toList();
    }

    @Transactional(readOnly = true)
    FreeTier freeTier(String userId, Period period) {
        var byModel = totals.byServiceAndModel(userId, period.start(), period.endExclusive()).stream()
                .filter(row -> row.freeEvents() > 0)
                .collect(Collectors.groupingBy(UsageTotals.Row::model));
        var models = byModel.entrySet().stream()
                .map(e -> new FreeModel(e.getKey().isEmpty() ? null : e.getKey(),
                        e.getValue().stream().mapToLong(UsageTotals.Row::freeEvents).sum(),
                        e.getValue().stream().mapToLong(UsageTotals.Row::freeTokens).sum()))
                .sorted(Comparator.comparingLong(FreeModel::eventCount).reversed()
                        .thenComparing(FreeModel::model, Comparator.nullsLast(Comparator.naturalOrder())))
                .toList();
        return new FreeTier(models.stream().mapToLong(FreeModel::eventCount).sum(),
                models.stream().mapToLong(FreeModel::tokens).sum(),
                models.stream().filter(m -> m.model() != null).count(), models, period);
    }

    @Transactional(readOnly = true)
    List<Day> daily(String userId, Period period) {
        return totals.byDayAndService(userId, period.start(), period.endExclusive()).stream()
                .map(d -> new Day(d.date(), d.service(), d.events(), d.tokens(), Money.ofMicros(d.costMicros())))
                .toList();
    }
}
