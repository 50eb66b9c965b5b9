package dev.creditmeter.identity;

import dev.creditmeter.web.ApiException;
import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import java.time.Instant;
import java.util.List;

import static io.swagger.v3.oas.annotations.media.Schema.RequiredMode.REQUIRED;

@RestController
@Tag(name = "Admin")
class ApiKeyController {

    private static final List<String> ROLES = List.of("user", "admin", "service");

    private final ApiKeyService service;

    ApiKeyController(ApiKeyService service) {
        this.service = service;
    }
    record CreateKeyRequest(@Schema(requiredMode = REQUIRED) String userId,
                            @Schema(requiredMode = REQUIRED) String role, String label) {
    }

    record CreatedKey(long id, String key, String prefix, String userId, String role, String label, Instant createdAt) {
    }

    record KeyView(long id, String prefix, String userId, String role, String label, Instant createdAt,
                   Instant revokedAt) {
        static KeyView of(ApiKeys.ApiKey key) {
            return new KeyView(key.id(), key.prefix(), key.userId(), key.role().wireName(), key.label(),
                    key.createdAt(), key.revokedAt());
        }
    }

    @PostMapping("/api/v1/credits/admin/api-keys")
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(summary = "Issue an API key (admin); the secret `key` is shown only in this response")
    CreatedKey create(Caller caller, @RequestBody(required = false) CreateKeyRequest body) {
        if (body == null) {
            throw ApiException.invalid("body", "is required");
        }
        new Validation()
                .text(body.userId(), "user_id")
                .require(body.role() != null && ROLES.contains(body.role()), "role", "must be one of user, admin, service")
                .optionalText(body.label(), "label")
                .throwIfInvalid();
        var issued = service.issue(body.userId(), Role.fromWire(body.role()), body.label(), caller.actor());
        var key = issued.key();
        return new CreatedKey(key.id(), issued.secret(), key.prefix(), key.userId(), key.role().wireName(),
                key.label(), key.createdAt());
    }

    @GetMapping("/api/v1/credits/admin/api-keys")
    @Operation(summary = "List API keys without their secrets (admin)")
    List<KeyView> list() {
        return service.list().stream().map(KeyView::of).toList();
    }

    @DeleteMapping("/api/v1/credits/admin/api-keys/{id}")
    @Operation(summary = "Revoke an API key at once (admin)")
    KeyView revoke(Caller caller, @PathVariable long id) {
        return service.revoke(id, caller.actor()).map(KeyView::of)
                .orElseThrow(() -> ApiException.notFound("API key " + id + " not found"));
    }
}
