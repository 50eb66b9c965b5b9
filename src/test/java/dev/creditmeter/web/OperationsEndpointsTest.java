package dev.creditmeter.web;

import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The operator-facing endpoints: the OpenAPI description, Swagger UI, health and Prometheus metrics. */
class OperationsEndpointsTest extends ApiTest {

    private static final String CREDITS = "/api/v1/credits";

    @LocalServerPort
    private int serverPort;

    @Test
    void openApiIsPublicAndDescribesEveryRoute() {
        var response = api.get(null, "/openapi.json");

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.header("Content-Type")).startsWith("application/json");
        JsonNode doc = response.json();
        assertThat(doc.path("openapi").asString()).startsWith("3.");
        JsonNode paths = doc.path("paths");
        Map<String, List<String>> routes = Map.ofEntries(
                Map.entry(CREDITS + "/balance", List.of("get")),
                Map.entry(CREDITS + "/allocate", List.of("post")),
                Map.entry(CREDITS + "/transactions", List.of("get")),
                Map.entry(CREDITS + "/deduct", List.of("post")),
                Map.entry(CREDITS + "/refund", List.of("post")),
                Map.entry(CREDITS + "/admin/api-keys", List.of("get", "post")),
                Map.entry(CREDITS + "/admin/api-keys/{id}", List.of("delete")),
                Map.entry(CREDITS + "/admin/ledger/verify", List.of("get")),
                Map.entry(CREDITS + "/admin/audit", List.of("get")),
                Map.entry(CREDITS + "/holds", List.of("post")),
                Map.entry(CREDITS + "/holds/{id}", List.of("get")),
                Map.entry(CREDITS + "/holds/{id}/capture", List.of("post")),
                Map.entry(CREDITS + "/holds/{id}/release", List.of("post")));
        routes.forEach((path, methods) -> {
            assertThat(paths.has(path)).as("%s in %s", path, paths.propertyNames()).isTrue();
            for (String method : methods) {
                assertThat(paths.path(path).has(method)).as("%s %s", method, path).isTrue();
            }
        });
    }

    @Test
    void openApiRequestSchemasUseTheWireNames() {
        JsonNode doc = api.get(null, "/openapi.json").json();

        JsonNode allocate = requestSchema(doc, CREDITS + "/allocate");
        JsonNode deduct = requestSchema(doc, CREDITS + "/deduct");
        JsonNode refund = requestSchema(doc, CREDITS + "/refund");
        JsonNode apiKey = requestSchema(doc, CREDITS + "/admin/api-keys");

        assertThat(allocate.propertyNames()).contains("user_id", "amount", "source", "metadata");
        assertThat(deduct.propertyNames()).contains("user_id", "amount", "service", "model", "cost_breakdown", "metadata");
        assertThat(refund.propertyNames()).contains("user_id", "amount", "reason", "metadata");
        assertThat(apiKey.propertyNames()).contains("user_id", "role");
        for (JsonNode schema : List.of(allocate, deduct, refund, apiKey)) {
            assertThat(schema.propertyNames()).as("no camelCase property").noneMatch(name -> !name.equals(name.toLowerCase()));
        }
        // Every schema the document publishes is snake_case too (responses as well as requests).
        List<String> camel = new ArrayList<>();
        doc.path("components").path("schemas").properties().forEach(schema ->
                schema.getValue().path("properties").propertyNames().forEach(name -> {
                    if (!name.equals(name.toLowerCase())) {
                        camel.add(schema.getKey() + "." + name);
                    }
                }));
        assertThat(camel).isEmpty();
        // Money is a number (strings are accepted but not advertised).
        assertThat(resolve(doc, allocate.path("amount")).path("type").asString()).isEqualTo("number");
        assertThat(resolve(doc, allocate.path("amount")).has("properties")).isFalse();
        // Free-form JSON (metadata, cost_breakdown) is an object, not the getters of a JSON tree class.
        assertThat(doc.path("components").path("schemas").has("JsonNode")).isFalse();
    }

    @Test
    void openApiMarksEveryRequiredFieldAndEveryErrorAnswer() {
        JsonNode doc = api.get(null, "/openapi.json").json();

        assertThat(required(doc, CREDITS + "/allocate")).containsExactlyInAnyOrder("user_id", "amount", "source");
        assertThat(required(doc, CREDITS + "/usage/track")).containsExactly("service");
        assertThat(required(doc, CREDITS + "/coupons/redeem")).containsExactly("code");
        JsonNode balance = doc.path("components").path("schemas").path("CreditBalance");
        assertThat(balance.path("required").valueStream().map(JsonNode::asString))
                .contains("user_id", "balance", "available", "held", "tier", "reset_date");
        List<String> withoutRequired = new ArrayList<>();
        doc.path("components").path("schemas").properties().forEach(schema -> {
            // A capture takes either an amount or a usage body, a webhook change any of its fields, a replay an
            // event or a range: no single field is required.
            if (schema.getValue().has("properties") && !schema.getValue().has("required")
                    && !List.of("CaptureRequest", "WebhookChange", "WebhookReplay").contains(schema.getKey())) {
                withoutRequired.add(schema.getKey());
            }
        });
        assertThat(withoutRequired).as("schemas with properties but no required list").isEmpty();
        List<String> missing = new ArrayList<>();
        doc.path("paths").properties().forEach(path -> path.getValue().properties().forEach(operation -> {
            for (String code : List.of("400", "422", "500", "503")) {
                if (!operation.getValue().path("responses").has(code)) {
                    missing.add(operation.getKey().toUpperCase() + " " + path.getKey() + " " + code);
                }
            }
        }));
        assertThat(missing).as("error answers not described").isEmpty();
    }

    @Test
    void openApiDeclaresBearerSecurityAndProblemResponses() {
        JsonNode doc = api.get(null, "/openapi.json").json();

        JsonNode schemes = doc.path("components").path("securitySchemes");
        assertThat(schemes.isObject()).isTrue();
        JsonNode bearer = schemes.properties().stream().map(Map.Entry::getValue)
                .filter(s -> "http".equals(s.path("type").asString()) && "bearer".equalsIgnoreCase(s.path("scheme").asString()))
                .findFirst().orElse(null);
        assertThat(bearer).as(schemes.toString()).isNotNull();
        assertThat(doc.path("security").isArray()).isTrue();

        JsonNode responses = doc.path("paths").path(CREDITS + "/allocate").path("post").path("responses");
        for (String code : List.of("401", "403", "422")) {
            JsonNode problem = responses.path(code).path("content").path("application/problem+json");
            assertThat(problem.isObject()).as("%s in %s", code, responses).isTrue();
            JsonNode schema = resolve(doc, problem.path("schema"));
            assertThat(schema.path("properties").propertyNames()).contains("status", "title", "detail");
            assertThat(schema.path("properties").path("status").path("type").asString()).isEqualTo("integer");
            assertThat(schema.path("properties").path("detail").path("type").asString()).isEqualTo("string");
        }
        assertThat(resolve(doc, responses.path("422").path("content").path("application/problem+json").path("schema"))
                .path("properties").propertyNames()).contains("errors");
        assertThat(responses.path("200").isObject()).isTrue();
    }

    @Test
    void swaggerUiIsServedAtDocs() throws Exception {
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(5)).build();

        HttpResponse<String> page = client.send(HttpRequest.newBuilder(URI.create(base() + "/docs"))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(page.body()).containsIgnoringCase("swagger-ui");

        // The UI loads its configuration from a public endpoint that points at /openapi.json.
        HttpResponse<String> config = client.send(HttpRequest.newBuilder(URI.create(base() + "/openapi.json/swagger-config"))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(config.statusCode()).isEqualTo(200);
        assertThat(config.body()).contains("/openapi.json");
    }

    @Test
    void healthIsPublicAndUp() {
        var health = api.get(null, "/actuator/health");

        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().path("status").asString()).isEqualTo("UP");
        assertThat(api.get(null, "/actuator/health/liveness").status()).isEqualTo(200);
        assertThat(api.get(null, "/actuator/health/readiness").status()).isEqualTo(200);
    }

    @Test
    void prometheusNeedsAdminOrService() {
        String user = newUserId();
        api.get(adminKey(), CREDITS + "/balance?user_id=" + user); // at least one timed request

        var anonymous = api.get(null, "/actuator/prometheus");
        var asUser = api.get(keyFor(user, "user"), "/actuator/prometheus");
        var asAdmin = api.get(adminKey(), "/actuator/prometheus");
        var asService = api.get(keyFor(newUserId(), "service"), "/actuator/prometheus");

        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.header("Content-Type")).startsWith("application/problem+json");
        assertThat(asUser.status()).isEqualTo(403);
        assertThat(asUser.detail()).isEqualTo("Admin access required");
        for (var metrics : List.of(asAdmin, asService)) {
            assertThat(metrics.status()).isEqualTo(200);
            assertThat(metrics.header("Content-Type")).startsWith("text/plain");
            assertThat(metrics.body()).contains("jvm_", "http_server_requests");
            assertThat(metrics.body()).contains("# TYPE");
        }
    }

    @Test
    void otherActuatorEndpointsAreNotExposed() {
        for (String path : List.of("/actuator/env", "/actuator/beans", "/actuator/configprops", "/actuator/heapdump")) {
            var response = api.get(adminKey(), path);
            assertThat(response.status()).as(path).isEqualTo(404);
        }
    }

    private String base() {
        return "http://127.0.0.1:" + serverPort;
    }

    private static List<String> required(JsonNode doc, String path) {
        JsonNode body = doc.path("paths").path(path).path("post").path("requestBody").path("content");
        return resolve(doc, body.path("application/json").path("schema")).path("required").valueStream()
                .map(JsonNode::asString).toList();
    }

    private static JsonNode requestSchema(JsonNode doc, String path) {
        JsonNode body = doc.path("paths").path(path).path("post").path("requestBody").path("content");
        assertThat(body.has("application/json")).as("%s request body: %s", path, body).isTrue();
        return resolve(doc, body.path("application/json").path("schema")).path("properties");
    }

    private static JsonNode resolve(JsonNode doc, JsonNode schema) {
        String ref = schema.path("$ref").asString("");
        if (ref.isEmpty()) {
            return schema;
        }
        JsonNode target = doc;
        for (String part : ref.substring(2).split("/")) {
            target = target.path(part);
        }
        return target;
    }
}
