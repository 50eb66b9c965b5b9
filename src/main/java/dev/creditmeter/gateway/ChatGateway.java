package dev.creditmeter.gateway;

import dev.creditmeter.byok.ByokService;
import dev.creditmeter.openrouter.OpenRouterClient;
import dev.creditmeter.openrouter.OpenRouterProperties;
import dev.creditmeter.credits.CreditService;
import dev.creditmeter.credits.Money;
import dev.creditmeter.pricing.Pricing;
import dev.creditmeter.tiers.CallQuotas;
import dev.creditmeter.usage.Usage;
import dev.creditmeter.usage.UsageService;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One metered call through OpenRouter (a chat completion, embeddings, a Responses API call; see {@link Endpoint}).
 * With the caller's own key: forward and record the usage as BYOK (only the BYOK fee is charged). With the
 * platform key: admit against the call quota, hold an estimate, forward, then capture the actual cost
 * (OpenRouter's {@code usage.cost}, else the catalogue price of the reported tokens) with markup, or release the
 * hold when upstream failed.
 */
@Service
class ChatGateway {

    static final String SERVICE = "gateway";
    /** Room for the markup on top of the catalogue price of the estimate, in basis points. */
    private static final int HEADROOM_BASIS_POINTS = 1_500;
    /** Long enough for a slow generation; a hold that expires anyway is charged without it. */
    private static final Duration HOLD_TTL = Duration.ofMinutes(10);

    private final OpenRouterClient openRouter;
    private final OpenRouterProperties settings;
    private final ByokService byok;
    private final CallQuotas quotas;
    private final CreditService credits;
    private final UsageService usage;
    private final Pricing pricing;
    private final JsonMapper json;
    private final long defaultMaxTokens;
    private final Money unpricedHold;

    ChatGateway(OpenRouterClient openRouter, OpenRouterProperties settings, ByokService byok, CallQuotas quotas,
                CreditService credits, UsageService usage, Pricing pricing, JsonMapper json,
                @Value("${creditmeter.gateway.default-max-tokens:1024}") long defaultMaxTokens,
                @Value("${creditmeter.gateway.unpriced-hold:0.05}") Money unpricedHold) {
        this.openRouter = openRouter;
        this.settings = settings;
        this.byok = byok;
        this.quotas = quotas;
        this.credits = credits;
        this.usage = usage;
        this.pricing = pricing;
        this.json = json;
        this.defaultMaxTokens = defaultMaxTokens;
        this.unpricedHold = unpricedHold;
    }

    sealed interface Outcome {
        /** Upstream answered 2xx: its body unchanged, and what the call cost. */
        /** {@code answer} is the body parsed (an empty object when it is not JSON), read once for the charge and the reply. */
        record Completed(String body, JsonNode answer, Money charged, Money balanceAfter) implements Outcome {
        }

        /** Upstream refused or failed, after {@code attempts} tries: nothing was charged. Status 0 when it did not answer. */
        record UpstreamFailed(int status, String body, String failure, int attempts) implements Outcome {
        }

        record Insufficient(Money required, Money available) implements Outcome {
        }

        record QuotaExceeded(CallQuotas.Quota quota) implements Outcome {
        }

        record NoPlatformKey() implements Outcome {
        }

        /** Upstream is streaming: relay its events, then settle the call. */
        record Streaming(java.io.InputStream events, Admitted call) implements Outcome {
        }
    }

    /** An admitted call: where to, whose key it goes out with, and the hold on it (null for BYOK and free models). */
    record Admitted(Endpoint endpoint, String userId, String model, String key, Long holdId, boolean byok) {
    }

    /**
     * Admission, the key, and for platform calls the hold; a refusal as an Outcome. The quota check (which
     * provisions the account) comes first, so 429 wins over 402. Five round trips: account, call count, own key,
     * price, hold. No transaction spans them, since each statement is atomic by itself and none needs another's
     * uncommitted work (the quota check reserves nothing; the hold is one guarded statement): no BEGIN or COMMIT
     * round trips, and the hold's commit does not wait for the disk (see {@link CreditService#placeCallHold}).
     */
    private Object admit(Endpoint endpoint, String userId, ObjectNode request) {
        String model = request.path("model").asString(null);
        if (quotas.admit(userId) instanceof CallQuotas.Admission.Exceeded exceeded) {
            return new Outcome.QuotaExceeded(exceeded.quota());
        }
        String ownKey = byok.keyOf(userId).orElse(null);
        if (ownKey != null) {
            return new Admitted(endpoint, userId, model, ownKey, null, true);
        }
        if (settings.platformKey() == null) {
            return new Outcome.NoPlatformKey();
        }
        Money estimate = estimate(endpoint, model, request);
        if (!estimate.isPositive()) {
            return new Admitted(endpoint, userId, model, settings.platformKey(), null, false);
        }
        return switch (credits.placeCallHold(userId, estimate, HOLD_TTL,
                Map.of("service", SERVICE, "model", String.valueOf(model)))) {
            case CreditService.PlaceHoldResult.Placed p -> new Admitted(endpoint, userId, model, settings.platformKey(), p.hold().id(), false);
            case CreditService.PlaceHoldResult.Insufficient i -> new Outcome.Insufficient(i.required(), i.available());
        };
    }

    Outcome complete(Endpoint endpoint, String userId, ObjectNode request) {
        if (endpoint.usageOnRequest()) {
            // OpenRouter's usage accounting: the answer then carries usage.cost.
            request.putObject("usage").put("include", true);
        }
        Object admission = admit(endpoint, userId, request);
        if (!(admission instanceof Admitted call)) {
            return (Outcome) admission;
        }
        OpenRouterClient.Reply reply;
        try {
            reply = openRouter.post(endpoint.path, call.key(), json.writeValueAsString(request));
        } catch (RuntimeException e) {
            release(call);
            throw e;
        }
        if (!reply.ok()) {
            release(call);
            return new Outcome.UpstreamFailed(reply.status(), OpenRouterClient.redact(reply.body(), call.key()),
                    reply.failure(), reply.attempts());
        }
        JsonNode answer;
        try {
            answer = json.readTree(reply.body());
        } catch (RuntimeException notJson) {
            answer = null;
        }
        if (answer == null || !answer.isObject()) {
            answer = json.createObjectNode();
        }
        var charge = settle(call, callUsage(call, request, answer));
        return new Outcome.Completed(reply.body(), answer, charge.charged(), charge.balanceAfter());
    }

    /**
     * Opens a stream: admission and hold as for {@link #complete}, then upstream asked for its usage chunk (a
     * Responses API stream always ends with its usage). The caller relays the events and settles with
     * {@link #settleStream}.
     */
    Outcome openStream(Endpoint endpoint, String userId, ObjectNode request) {
        if (endpoint.usageOnRequest()) {
            request.putObject("usage").put("include", true);
            JsonNode options = request.path("stream_options");
            (options.isObject() ? (ObjectNode) options : request.putObject("stream_options")).put("include_usage", true);
        }
        Object admission = admit(endpoint, userId, request);
        if (!(admission instanceof Admitted call)) {
            return (Outcome) admission;
        }
        OpenRouterClient.Streamed streamed;
        try {
            streamed = openRouter.postStream(endpoint.path, call.key(), json.writeValueAsString(request));
        } catch (RuntimeException e) {
            release(call);
            throw e;
        }
        if (streamed.events() == null) {
            release(call);
            var failure = streamed.failure();
            return new Outcome.UpstreamFailed(failure.status(), OpenRouterClient.redact(failure.body(), call.key()),
                    failure.failure(), failure.attempts());
        }
        return new Outcome.Streaming(streamed.events(), call);
    }

    /**
     * Charges a relayed stream: by its usage chunk when one came, else (cut short) by the prompt and the
     * content seen, characters / 4, flagged {@code estimated}.
     */
    UsageService.Charge settleStream(Admitted call, JsonNode request, StreamTally tally) {
        var metadata = new LinkedHashMap<String, Object>();
        if (tally.id() != null) {
            metadata.put("request_id", tally.id());
        }
        metadata.put("stream", true);
        JsonNode reported = tally.usage();
        Usage usage;
        if (reported != null) {
            usage = Usage.ofCall(call.userId(), SERVICE, call.model(), orZero(Endpoint.inputTokens(reported)),
                    orZero(Endpoint.outputTokens(reported)), cost(reported), call.byok(), metadata);
        } else {
            metadata.put("estimated", true);
            usage = Usage.ofCall(call.userId(), SERVICE, call.model(),
                    ceilQuarter(call.endpoint().inputCharacters(request)), ceilQuarter(tally.contentCharacters()),
                    null, call.byok(), metadata);
        }
        return settle(call, usage);
    }

    private UsageService.Charge settle(Admitted call, Usage usage) {
        return call.holdId() == null ? this.usage.record(usage) : this.usage.settle(call.holdId(), usage);
    }

    private void release(Admitted call) {
        release(call.holdId(), call.userId());
    }

    private static Money cost(JsonNode reported) {
        if (!reported.path("cost").isNumber()) {
            return null;
        }
        long micros = reported.path("cost").decimalValue().movePointRight(6).setScale(0, RoundingMode.HALF_EVEN).longValueExact();
        return micros < 0 ? null : Money.ofMicros(micros);
    }

    private void release(Long holdId, String userId) {
        if (holdId != null) {
            credits.releaseHold(holdId, userId);
        }
    }

    /**
     * The hold for a request: the catalogue price of its input (characters / 4 as tokens, see
     * {@link Endpoint#inputCharacters}) and of its output limit (default {@code creditmeter.gateway.default-max-tokens}),
     * plus 15 % headroom for the markup; a model without a price holds a fixed amount.
     */
    Money estimate(Endpoint endpoint, String model, JsonNode request) {
        long inputTokens = ceilQuarter(endpoint.inputCharacters(request));
        long outputTokens = endpoint.outputTokens(request, defaultMaxTokens);
        var quote = pricing.quote(new Pricing.Usage(model, null, inputTokens, outputTokens, null, false));
        if (quote.source() == Pricing.Source.UNPRICED) {
            return unpricedHold;
        }
        if (quote.free()) {
            return Money.ZERO;
        }
        long withHeadroom = BigDecimal.valueOf(quote.providerCostMicros())
                .multiply(BigDecimal.valueOf(10_000 + HEADROOM_BASIS_POINTS)).movePointLeft(4)
                .setScale(0, RoundingMode.CEILING).longValueExact();
        return Money.ofMicros(Math.max(Math.max(withHeadroom, quote.totalMicros()), 1));
    }

    /** The usage to charge from an answer: OpenRouter's cost when given, else its token counts, else estimates. */
    private Usage callUsage(Admitted call, JsonNode request, JsonNode answer) {
        String model = call.model();
        JsonNode reported = answer.path("usage");
        String answeredModel = answer.path("model").isString() ? answer.path("model").asString() : model;
        var metadata = new LinkedHashMap<String, Object>();
        if (answer.path("id").isString()) {
            metadata.put("request_id", answer.path("id").asString());
        }
        Long input = Endpoint.inputTokens(reported);
        Long output = Endpoint.outputTokens(reported);
        if (input == null && output == null) {
            input = ceilQuarter(call.endpoint().inputCharacters(request));
            output = ceilQuarter(call.endpoint().outputCharacters(answer));
            metadata.put("estimated", true);
        } else {
            input = orZero(input);
            output = orZero(output); // embeddings report input tokens only
        }
        // The event's model is what the caller asked for, so that catalogue prices apply to it.
        return Usage.ofCall(call.userId(), SERVICE, model != null ? model : answeredModel, input, output,
                cost(reported), call.byok(), metadata);
    }

    private static long orZero(Long tokens) {
        return tokens == null ? 0 : tokens;
    }

    static long ceilQuarter(long chars) {
        return (chars + 3) / 4;
    }
}
