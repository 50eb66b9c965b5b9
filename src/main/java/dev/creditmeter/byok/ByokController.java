package dev.creditmeter.byok;

import dev.creditmeter.credits.Money;
import dev.creditmeter.identity.Caller;
import dev.creditmeter.web.ApiException;
import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import tools.jackson.databind.node.NullNode;

import java.util.Map;

import static io.swagger.v3.oas.annotations.media.Schema.RequiredMode.REQUIRED;

@RestController
@Tag(name = "BYOK")
class ByokController {

    private static final String BASE = "/api/v1/credits/openrouter";
    private static final int MAX_KEY_LENGTH = 512;

    private final ByokService byok;

    ByokController(ByokService byok) {
        this.byok = byok;
    }
    record CreateAccountRequest(@Schema(requiredMode = REQUIRED) String apiKey, String email, String userId) {
        @Override
        public String toString() {
            return "CreateAccountRequest[email=" + email + ", userId=" + userId + "]";
        }
    }

    record FreeCredits(Money freeCredits) {
    }

    @PostMapping(BASE + "/create-account")
    @Operation(summary = "Connect the caller's own OpenRouter key (verified with OpenRouter, stored encrypted); "
            + "admins and services may name a user_id")
    OpenRouterAccounts.Account create(Caller caller, @RequestBody(required = false) CreateAccountRequest body) {
        if (body == null) {
            throw ApiException.invalid("body", "is required");
        }
        String userId = caller.target(body.userId());
        new Validation()
                .optionalText(userId, "user_id")
                .require(body.apiKey() != null && !body.apiKey().isBlank(), "api_key", "is required")
                .require(body.apiKey() == null || (body.apiKey().length() <= MAX_KEY_LENGTH
                        && body.apiKey().chars().allMatch(c -> c > 0x20 && c < 0x7f)), "api_key",
                        "must be at most " + MAX_KEY_LENGTH + " printable ASCII characters")
                .optionalText(body.email(), "email")
                .throwIfInvalid();
        return byok.connect(userId, body.apiKey(), body.email());
    }

    @GetMapping(BASE + "/account")
    @Operation(summary = "The caller's OpenRouter account, or null; admins and services may name a user_id")
    ResponseEntity<Object> account(Caller caller, @RequestParam(name = "user_id", required = false) String userId) {
        // JSON null, not an empty body, when the caller has no account
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON)
                .body(byok.account(caller.target(userId)).<Object>map(a -> a).orElse(NullNode.getInstance()));
    }

    @PostMapping(BASE + "/sync-balance")
    @Operation(summary = "Re-read the key's remaining free credits from OpenRouter; "
            + "admins and services may name a user_id")
    FreeCredits sync(Caller caller, @RequestParam(name = "user_id", required = false) String userId) {
        return new FreeCredits(byok.sync(caller.target(userId)));
    }

    @DeleteMapping(BASE + "/account")
    @Operation(summary = "Delete the caller's OpenRouter account (also when there is none); "
            + "admins and services may name a user_id")
    Map<String, String> delete(Caller caller, @RequestParam(name = "user_id", required = false) String userId) {
        byok.disconnect(caller.target(userId));
        return Map.of("message", "OpenRouter account deleted successfully");
    }

    @PostMapping("/api/v1/credits/admin/byok/rotate")
    @Operation(summary = "Re-encrypt every stored key with the newest key of the keyring (admin)")
    Map<String, Integer> rotate(Caller caller) {
        return Map.of("re_encrypted", byok.rotate(caller.actor()));
    }
}
