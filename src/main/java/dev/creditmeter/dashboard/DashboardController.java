package dev.creditmeter.dashboard;

import dev.creditmeter.web.ApiException;
import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** What the dashboard's pages ask of the service besides the API: its sign-in settings and the code exchange. */
@RestController
@Tag(name = "Dashboard")
class DashboardController {

    private static final Logger log = LoggerFactory.getLogger(DashboardController.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_FIELD_LENGTH = 2048;

    private final DashboardProperties oidc;
    private final JsonMapper json;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER).build();

    DashboardController(DashboardProperties oidc, JsonMapper json) {
        this.oidc = oidc;
        this.json = json;
    }

    record Provider(String authorizationUri, String clientId, String scope) {
    }

    record Config(Provider oidc) {
    }

    @GetMapping("/api/v1/credits/dashboard/config")
    @Operation(summary = "The dashboard's sign-in settings: the OpenID provider to sign in with, or null (public)")
    Config config() {
        return new Config(oidc.enabled()
                ? new Provider(oidc.authorizationUri().toString(), oidc.clientId(), oidc.scope()) : null);
    }

    record CodeExchange(String code, String codeVerifier, String redirectUri) {
        @Override
        public String toString() {
            return "CodeExchange[redirectUri=" + redirectUri + "]";
        }
    }

    record Token(String accessToken, Long expiresIn) {
        @Override
        public String toString() {
            return "Token[expiresIn=" + expiresIn + "]";
        }
    }

    @PostMapping("/api/v1/credits/dashboard/oidc/token")
    @Operation(summary = "Exchanges the provider's authorization code and the PKCE verifier for an access token at "
            + "the provider (public; 404 when no provider is configured)")
    Token token(@RequestBody(required = false) CodeExchange body) {
        if (!oidc.enabled()) {
            throw ApiException.notFound("Sign-in through a provider is not configured");
        }
        if (body == null) {
            throw ApiException.invalid("body", "is required");
        }
        new Validation()
                .require(present(body.code()), "code", "is required and at most " + MAX_FIELD_LENGTH + " characters")
                .require(present(body.codeVerifier()), "code_verifier", "is required and at most " + MAX_FIELD_LENGTH + " characters")
                .require(present(body.redirectUri()), "redirect_uri", "is required and at most " + MAX_FIELD_LENGTH + " characters")
                .throwIfInvalid();
        var form = new LinkedHashMap<String, String>();
        form.put("grant_type", "authorization_code");
        form.put("code", body.code());
        form.put("redirect_uri", body.redirectUri());
        form.put("client_id", oidc.clientId());
        form.put("code_verifier", body.codeVerifier());
        if (oidc.clientSecret() != null) {
            form.put("client_secret", oidc.clientSecret());
        }
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(oidc.tokenUri()).timeout(TIMEOUT)
                    .header("Content-Type", "application/x-www-form-urlencoded").header("Accept", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(encode(form))).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            log.warn("The OpenID provider's token endpoint did not answer: {}", e.getClass().getSimpleName());
            throw new ApiException(HttpStatus.BAD_GATEWAY, "The sign-in provider did not answer; try again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(HttpStatus.BAD_GATEWAY, "The sign-in provider did not answer; try again");
        }
        JsonNode answer = parse(response.body());
        String accessToken = answer.path("access_token").asString("");
        if (response.statusCode() != 200 || accessToken.isEmpty()) {
            String reason = answer.path("error_description").asString(answer.path("error").asString("no token"));
            throw ApiException.badRequest("Sign-in failed: " + reason.substring(0, Math.min(200, reason.length())));
        }
        JsonNode expiresIn = answer.path("expires_in");
        return new Token(accessToken, expiresIn.canConvertToLong() ? expiresIn.asLong() : null);
    }

    private JsonNode parse(String body) {
        try {
            return json.readTree(body);
        } catch (RuntimeException notJson) {
            return json.createObjectNode();
        }
    }

    private static boolean present(String value) {
        return value != null && !value.isBlank() && value.length() <= MAX_FIELD_LENGTH;
    }

    private static String encode(Map<String, String> form) {
        return form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }
}
