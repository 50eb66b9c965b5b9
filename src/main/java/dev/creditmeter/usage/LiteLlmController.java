package dev.creditmeter.usage;

import dev.creditmeter.credits.Money;
import dev.creditmeter.web.ApiException;
import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Takes LiteLLM's standard logging payload, as its generic API callback posts it (one payload or a
 * list of them), and records each successful call as a usage event: idempotent on the payload's
 * {@code id}, user from {@code end_user} or the key's user, tokens from the usage counts and the
 * provider cost from {@code response_cost} (markup applies as on /usage/track).
 */
@RestController
@Tag(name = "Usage")
class LiteLlmController {

    private static final int MAX_PAYLOADS = 1000;

    private final UsageService usage;

    LiteLlmController(UsageService usage) {
        this.usage = usage;
    }

    @PostMapping("/api/v1/credits/integrations/litellm")
    @Operation(summary = "Record LiteLLM StandardLoggingPayload(s) as usage events (service, admin)")
    UsageBatchController.BatchResponse ingest(@RequestBody(required = false) JsonNode body) {
        if (body == null || !(body.isObject() || body.isArray())) {
            throw ApiException.invalid("body", "must be a LiteLLM logging payload or a list of them");
        }
        List<JsonNode> payloads = new ArrayList<>();
        (body.isArray() ? body.values() : List.of(body)).forEach(payloads::add);
        new Validation().require(payloads.size() <= MAX_PAYLOADS, "body", "must hold at most " + MAX_PAYLOADS + " payloads")
                .throwIfInvalid();
        var results = new UsageBatchController.Result[payloads.size()];
        var accepted = new ArrayList<Integer>();
        var usages = new ArrayList<Usage>();
        for (int i = 0; i < payloads.size(); i++) {
            JsonNode payload = payloads.get(i);
            String id = text(payload.path("id"));
            try {
                if (!"success".equals(text(payload.path("status")))) {
                    results[i] = new UsageBatchController.Result(i, id, "skipped", null, "only successful calls are charged");
                    continue;
                }
                var request = toTrackRequest(payload, id);
                var validation = new Validation().text(request.userId(), "end_user").text(id, "id");
                request.metadata().forEach((key, value) -> validation.optionalText((String) value, key));
                validation.throwIfInvalid();
                usages.add(request.usage(request.userId(), null));
                accepted.add(i);
            } catch (ApiException rejected) {
                results[i] = new UsageBatchController.Result(i, id, "rejected", null, rejected.getMessage());
            }
        }
        return UsageBatchController.response(results, accepted, usage.trackAll(usages));
    }

    private static UsageController.TrackRequest toTrackRequest(JsonNode p, String id) {
        JsonNode meta = p.path("metadata");
        String user = firstText(p.path("end_user"), meta.path("user_api_key_end_user_id"), meta.path("user_api_key_user_id"));
        Money cost = null;
        if (p.path("response_cost").isNumber()) {
            try {
                cost = Money.parse(p.path("response_cost").asString());
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("response_cost", e.getMessage());
            }
        }
        Map<String, Object> metadata = new LinkedHashMap<>(); // text values only: checked like names
        metadata.put("source", "litellm");
        putIfText(metadata, "call_type", p.path("call_type"));
        putIfText(metadata, "model_group", p.path("model_group"));
        putIfText(metadata, "custom_llm_provider", p.path("custom_llm_provider"));
        putIfText(metadata, "api_key_alias", meta.path("user_api_key_alias"));
        return new UsageController.TrackRequest("litellm", text(p.path("model")), count(p.path("total_tokens")), cost,
                false, metadata, id, count(p.path("prompt_tokens")), count(p.path("completion_tokens")), false, user);
    }

    private static String text(JsonNode node) {
        return node.isString() || node.isNumber() ? node.asString() : null;
    }

    private static String firstText(JsonNode... nodes) {
        for (JsonNode node : nodes) {
            String value = text(node);
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }

    private static Long count(JsonNode node) {
        return node.isIntegralNumber() && node.canConvertToLong() ? node.longValue() : null;
    }

    private static void putIfText(Map<String, Object> metadata, String key, JsonNode node) {
        String value = text(node);
        if (value != null) {
            metadata.put(key, value);
        }
    }
}
