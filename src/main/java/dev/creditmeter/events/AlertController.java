package dev.creditmeter.events;

import dev.creditmeter.credits.Money;
import dev.creditmeter.identity.Caller;
import dev.creditmeter.web.ApiException;
import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.util.List;
import java.util.Set;

@RestController
@Tag(name = "Alerts and events")
class AlertController {

    static final int MAX_LIMIT = 1000;
    private static final Set<String> THRESHOLD_FIELDS = Set.of("user_id", "low_balance", "low_balance_share");

    private final Alerts alerts;

    AlertController(Alerts alerts) {
        this.alerts = alerts;
    }

    @GetMapping("/api/v1/credits/events")
    @Operation(summary = "Events after an id, oldest first: a user's own; an admin's or service's of every account, "
            + "or of the user_id named")
    List<AccountEvent> events(Caller caller, @RequestParam(defaultValue = "0") long after,
                              @RequestParam(defaultValue = "100") int limit,
                              @RequestParam(required = false) String type,
                              @RequestParam(name = "user_id", required = false) String userId) {
        new Validation()
                .require(after >= 0, "after", "must be 0 or more")
                .require(limit >= 1 && limit <= MAX_LIMIT, "limit", "must be between 1 and " + MAX_LIMIT)
                .require(type == null || EventType.fromWire(type).isPresent(), "type", "must be one of " + typeNames())
                .throwIfInvalid();
        String user = caller.mayActForOthers() ? blankToNull(userId) : caller.userId();
        return alerts.events(after, limit, type, user);
    }

    @GetMapping("/api/v1/credits/alerts/thresholds")
    @Operation(summary = "The account's alert thresholds as they apply")
    Alerts.View thresholds(Caller caller, @RequestParam(name = "user_id", required = false) String userId) {
        return alerts.thresholds(caller.target(userId));
    }

    @PutMapping("/api/v1/credits/alerts/thresholds")
    @Operation(summary = "Set the account's low-balance threshold: {\"low_balance\": credits} or "
            + "{\"low_balance_share\": 0.2} of the monthly allowance; null for the platform's default")
    Alerts.View setThreshold(Caller caller, @RequestBody(required = false) JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.invalid("body", "must be a JSON object");
        }
        var validation = new Validation();
        body.propertyNames().forEach(name ->
                validation.require(THRESHOLD_FIELDS.contains(name), name, "is not a field of this request"));
        JsonNode amount = body.get("low_balance");
        JsonNode share = body.get("low_balance_share");
        JsonNode user = body.get("user_id");
        validation.require(amount != null || share != null, "low_balance", "low_balance or low_balance_share is required")
                .require(amount == null || share == null || amount.isNull() || share.isNull(), "low_balance",
                        "give low_balance or low_balance_share, not both")
                .require(user == null || user.isNull() || user.isString(), "user_id", "must be a string");
        Money money = null;
        if (amount != null && !amount.isNull()) {
            try {
                money = amount.isNumber() || amount.isString() ? Money.parse(amount.asString()) : null;
                validation.require(money != null, "low_balance", "must be a number");
            } catch (IllegalArgumentException e) {
                validation.require(false, "low_balance", e.getMessage());
            }
            validation.require(money == null || money.micros() >= 0, "low_balance", "must be 0 or more");
        }
        Integer basisPoints = null;
        if (share != null && !share.isNull()) {
            BigDecimal value = share.isNumber() ? share.decimalValue() : null;
            basisPoints = value == null || !AlertProperties.isShare(value) ? null : LowBalanceThreshold.basisPoints(value);
            validation.require(basisPoints != null, "low_balance_share",
                    "must be a number from 0 to 1 with at most 4 decimals");
        }
        validation.throwIfInvalid();
        Alerts.NewThreshold threshold = money != null ? new Alerts.NewThreshold.Amount(money)
                : basisPoints != null ? new Alerts.NewThreshold.Share(basisPoints)
                : new Alerts.NewThreshold.PlatformDefault();
        String target = caller.target(user == null || user.isNull() ? null : user.asString());
        return alerts.setThreshold(target, threshold);
    }

    private static String typeNames() {
        return String.join(", ", java.util.Arrays.stream(EventType.values()).map(EventType::wireName).toList());
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text;
    }
}
