package dev.creditmeter.usage;

import dev.creditmeter.identity.Caller;
import dev.creditmeter.web.ApiException;
import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;

@RestController
@RequestMapping("/api/v1/credits/usage")
@Tag(name = "Usage")
class UsageReportController {

    private static final int DEFAULT_DAYS = 30;
    private static final Instant EARLIEST = Instant.EPOCH;
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");

    private final UsageReports reports;
    private final UsageExport export;
    private final Clock clock;

    UsageReportController(UsageReports reports, UsageExport export, Clock clock) {
        this.reports = reports;
        this.export = export;
        this.clock = clock;
    }

    @GetMapping("/summary")
    @Operation(summary = "Totals over a window (default the last 30 days); services by cost, highest first")
    UsageReports.Summary summary(Caller caller, @RequestParam(name = "user_id", required = false) String userId,
                                 @RequestParam(name = "start_date", required = false) String start,
                                 @RequestParam(name = "end_date", required = false) String end) {
        return reports.summary(caller.target(userId), period(start, end));
    }

    @GetMapping("/by-model")
    @Operation(summary = "Events with a model, by service and model, highest cost first (default the last 30 days)")
    List<UsageReports.ModelRow> byModel(Caller caller, @RequestParam(name = "user_id", required = false) String userId,
                                        @RequestParam(name = "start_date", required = false) String start,
                                        @RequestParam(name = "end_date", required = false) String end) {
        return reports.byModel(caller.target(userId), period(start, end));
    }

    @GetMapping("/by-service")
    @Operation(summary = "Totals by service, highest cost first (default the last 30 days)")
    List<UsageReports.ServiceRow> byService(Caller caller, @RequestParam(name = "user_id", required = false) String userId,
                                            @RequestParam(name = "start_date", required = false) String start,
                                            @RequestParam(name = "end_date", required = false) String end) {
        return reports.byService(caller.target(userId), period(start, end));
    }

    @GetMapping("/free-tier")
    @Operation(summary = "Free events since the 1st of the current UTC month")
    UsageReports.FreeTier freeTier(Caller caller, @RequestParam(name = "user_id", required = false) String userId) {
        Instant now = now();
        Instant monthStart = now.atOffset(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        return reports.freeTier(caller.target(userId), new UsageReports.Period(monthStart, now));
    }

    @GetMapping("/daily")
    @Operation(summary = "Per UTC day and service over the last `days` days (today included), oldest first")
    List<UsageReports.Day> daily(Caller caller, @RequestParam(name = "user_id", required = false) String userId,
                                 @RequestParam(defaultValue = "30") int days) {
        new Validation().require(days >= 1 && days <= 366, "days", "must be between 1 and 366").throwIfInvalid();
        Instant now = now();
        Instant from = now.atOffset(ZoneOffset.UTC).toLocalDate().minusDays(days - 1L).atStartOfDay(ZoneOffset.UTC).toInstant();
        return reports.daily(caller.target(userId), new UsageReports.Period(from, now));
    }

    @GetMapping(value = "/export.csv", produces = "text/csv")
    @Operation(summary = "The caller's raw events in a window as CSV, oldest first (default the last 30 days)")
    ResponseEntity<StreamingResponseBody> exportCsv(Caller caller,
                                                    @RequestParam(name = "user_id", required = false) String userId,
                                                    @RequestParam(name = "start_date", required = false) String start,
                                                    @RequestParam(name = "end_date", required = false) String end) {
        String target = caller.target(userId);
        var period = period(start, end);
        StreamingResponseBody body = out -> {
            var writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            export.write(target, period.start(), period.endExclusive(), writer);
            writer.flush();
        };
        return ResponseEntity.ok()
                .contentType(new MediaType("text", "csv", StandardCharsets.UTF_8))
                .header("Content-Disposition", "attachment; filename=\"usage.csv\"")
                .body(body);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    /**
     * A date-only start means 00:00Z of that day, a date-only end the last microsecond of that day. Only two
     * given dates in the wrong order are an error; one date beyond the other's default (a start tomorrow,
     * when the end defaults to now) is a window with nothing in it, at the given date.
     */
    private UsageReports.Period period(String start, String end) {
        Instant now = now();
        Instant from = start == null ? now.minus(DEFAULT_DAYS, ChronoUnit.DAYS) : parse(start, "start_date", false);
        Instant to = end == null ? now : parse(end, "end_date", true);
        if (from.isAfter(to)) {
            if (start != null && end != null) {
                throw ApiException.invalid("start_date", "must not be after end_date");
            }
            return start != null ? new UsageReports.Period(from, from) : new UsageReports.Period(to, to);
        }
        return new UsageReports.Period(from, to);
    }

    private static Instant parse(String value, String field, boolean endOfDay) {
        Instant instant;
        try {
            if (value.length() == 10) {
                LocalDate day = LocalDate.parse(value);
                instant = endOfDay
                        ? day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().minus(1, ChronoUnit.MICROS)
                        : day.atStartOfDay(ZoneOffset.UTC).toInstant();
            } else {
                instant = OffsetDateTime.parse(value).toInstant().truncatedTo(ChronoUnit.MICROS);
            }
        } catch (DateTimeParseException e) {
            throw ApiException.invalid(field, "must be a date (2025-10-01) or an ISO-8601 time with offset");
        }
        if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
            throw ApiException.invalid(field, "must be between 1970 and 9999");
        }
        return instant;
    }
}
