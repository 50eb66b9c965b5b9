package dev.creditmeter.usage;

import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class LiteLlmIngestionTest extends ApiTest {

    private static final String LITELLM = "/api/v1/credits/integrations/litellm";

    @AfterEach
    void ledgerStaysConsistent() {
        assertLedgerConsistent();
    }

    /** Shaped like LiteLLM's StandardLoggingPayload as its generic API callback sends it. */
    private static String payload(String id, String endUser, String keyUser, String status, String cost) {
        return """
                {"id": "%s", "trace_id": "%s", "call_type": "acompletion", "stream": false,
                 "response_cost": %s, "response_cost_failure_debug_info": null, "status": "%s",
                 "custom_llm_provider": "openai", "total_tokens": 1530, "prompt_tokens": 1200, "completion_tokens": 330,
                 "startTime": 1764050400.123, "endTime": 1764050401.456, "completionStartTime": 1764050400.9,
                 "response_time": 1.333,
                 "model_map_information": {"model_map_key": "gpt-4o-mini", "model_map_value": {"input_cost_per_token": 1.5e-07}},
                 "model": "gpt-4o-mini", "model_id": "a1b2c3", "model_group": "gpt-4o-mini", "api_base": "https://api.openai.com",
                 "metadata": {"user_api_key_hash": "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
                              "user_api_key_alias": "team-a-key", "user_api_key_team_id": "team-a",
                              "user_api_key_user_id": "%s", "user_api_key_org_id": null,
                              "user_api_key_team_alias": "Team A", "user_api_key_end_user_id": null,
                              "spend_logs_metadata": null, "requester_ip_address": "10.0.0.7",
                              "requester_metadata": {}},
                 "cache_hit": false, "cache_key": null, "saved_cache_cost": 0.0, "request_tags": ["prod"],
                 "end_user": %s, "requester_ip_address": "10.0.0.7",
                 "messages": [{"role": "user", "content": "Say hello"}],
                 "response": {"id": "chatcmpl-1", "object": "chat.completion",
                              "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "finish_reason": "stop"}],
                              "usage": {"prompt_tokens": 1200, "completion_tokens": 330, "total_tokens": 1530}},
                 "error_str": null, "model_parameters": {"temperature": 0.2}, "hidden_params": {"model_id": "a1b2c3"}}
                """.formatted(id, UUID.randomUUID(), cost, status, keyUser, endUser == null ? "\"\"" : "\"" + endUser + "\"");
    }

    @Test
    void recordsEachSuccessfulCallOnceForItsUser() {
        String alice = newUserId();
        String bob = newUserId();
        String service = keyFor("litellm-" + alice, "service");
        String id = "chatcmpl-" + UUID.randomUUID();
        String body = "[" + payload(id, null, alice, "success", "0.00063")
                + "," + payload("chatcmpl-" + UUID.randomUUID(), bob, alice, "success", "3.5e-05")
                + "," + payload("chatcmpl-" + UUID.randomUUID(), null, alice, "failure", "0.0") + "]";

        var response = api.post(service, LITELLM, body);
        var again = api.post(service, LITELLM, payload(id, null, alice, "success", "0.00063"));

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        var results = response.json().path("results");
        assertThat(results.get(0).path("status").asString()).isEqualTo("accepted");
        var event = results.get(0).path("event");
        assertThat(event.path("user_id").asString()).isEqualTo(alice);
        assertThat(event.path("service").asString()).isEqualTo("litellm");
        assertThat(event.path("model").asString()).isEqualTo("gpt-4o-mini");
        assertThat(event.path("input_tokens").asLong()).isEqualTo(1200);
        assertThat(event.path("output_tokens").asLong()).isEqualTo(330);
        assertThat(event.path("tokens_used").asLong()).isEqualTo(1530);
        assertThat(event.path("provider_cost").decimalValue()).isEqualByComparingTo("0.00063");
        assertThat(event.path("total_cost").decimalValue()).isEqualByComparingTo("0.000662"); // 5 %: 31.5 micros → 32
        assertThat(event.path("metadata").path("api_key_alias").asString()).isEqualTo("team-a-key");
        assertThat(results.get(1).path("event").path("user_id").asString()).as("end_user wins").isEqualTo(bob);
        assertThat(results.get(1).path("event").path("provider_cost").decimalValue()).isEqualByComparingTo("0.000035");
        assertThat(results.get(2).path("status").asString()).isEqualTo("skipped");
        assertThat(again.json().path("results").get(0).path("status").asString()).isEqualTo("duplicate");
        assertThat(balanceOf(alice).path("balance").decimalValue()).isEqualByComparingTo("4.999338");
    }

    @Test
    void rejectsPayloadsWithoutAUserAndIsForServicesOnly() {
        String user = newUserId();
        var noUser = api.post(adminKey(), LITELLM, payload("chatcmpl-" + UUID.randomUUID(), null, "", "success", "0.001"));
        assertThat(noUser.json().path("results").get(0).path("status").asString()).isEqualTo("rejected");
        assertThat(api.post(keyFor(user, "user"), LITELLM, "[]").status()).isEqualTo(403);
        assertThat(api.post(adminKey(), LITELLM, "\"text\"").status()).isEqualTo(422);
    }
}
