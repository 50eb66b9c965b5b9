package dev.creditmeter.web;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.swagger.v3.core.jackson.ModelResolver;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.customizers.OperationCustomizer;
import org.springdoc.core.providers.ObjectMapperProvider;
import org.springdoc.core.utils.SpringDocUtils;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The OpenAPI description at /openapi.json: a bearer scheme, and the problem+json answers every
 * authenticated route can give (401, 403, 422) besides those each route declares.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    private static final String PROBLEM = "Problem";

    static {
        // Free-form JSON values (metadata, cost_breakdown, audit details), not the JsonNode class's getters.
        SpringDocUtils.getConfig().replaceWithClass(JsonNode.class, Object.class);
    }

    @Bean
    OpenAPI creditmeterOpenApi() {
        Schema<?> field = typed("object")
                .addProperty("field", typed("string"))
                .addProperty("message", typed("string"))
                .required(List.of("field", "message"));
        Schema<?> problem = typed("object")
                .description("RFC 9457 problem details; `detail` carries the message text")
                .required(List.of("status", "title", "detail"))
                .addProperty("type", typed("string"))
                .addProperty("title", typed("string"))
                .addProperty("status", typed("integer"))
                .addProperty("detail", typed("string"))
                .addProperty("instance", typed("string"))
                .addProperty("errors", typed("array").items(field));
        return new OpenAPI()
                .info(new Info().title("Creditmeter").version("1")
                        .description("Prepaid credits, usage metering and billing for AI APIs. "
                                + "Money is a JSON number of credits with up to 6 decimals (1 credit = 1 USD)."))
                .components(new Components()
                        .addSchemas(PROBLEM, problem)
                        .addSecuritySchemes("bearer", new SecurityScheme().type(SecurityScheme.Type.HTTP)
                                .scheme("bearer").description("A Creditmeter API key (cm_…) or an OIDC JWT")))
                .addSecurityItem(new SecurityRequirement().addList("bearer"));
    }

    /**
     * swagger-core introspects models with its own Jackson 2 mapper, which knows nothing of the snake_case
     * naming of our (Jackson 3) mapper; without this the published schemas would say {@code userId}.
     */
    @Bean
    ModelResolver snakeCaseModels(ObjectMapperProvider mappers) {
        return new ModelResolver(mappers.jsonMapper().copy()
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE));
    }

    @Bean
    OperationCustomizer standardProblems() {
        return (operation, handler) -> {
            Map<String, String> standard = Map.of(
                    "400", "Malformed request (bad JSON, bad Idempotency-Key)",
                    "401", "Missing, unknown, revoked or expired token",
                    "403", "Admin access required",
                    "413", "Request body too large",
                    "422", "Validation failed (also an unknown field or query parameter); `errors` names the fields",
                    "500", "An unexpected error; the body carries no exception text",
                    "503", "The database is unavailable or the service is busy; retry after `Retry-After` seconds");
            standard.forEach((code, description) -> {
                if (operation.getResponses() != null && !operation.getResponses().containsKey(code)) {
                    operation.getResponses().addApiResponse(code, problemResponse(description));
                }
            });
            return operation;
        };
    }

    /**
     * Every property of an answer is always present (null when it has no value), so an answer's schema
     * requires them all. Request schemas ({@code …Request}) list their own required fields with
     * {@code @Schema(requiredProperties = …)}, next to the record.
     */
    @Bean
    OpenApiCustomizer answersHaveEveryProperty() {
        return openApi -> {
            if (openApi.getComponents() == null || openApi.getComponents().getSchemas() == null) {
                return;
            }
            openApi.getComponents().getSchemas().forEach((name, schema) -> {
                if (!name.endsWith("Request") && !name.equals(PROBLEM) && schema.getProperties() != null) {
                    schema.setRequired(List.copyOf(schema.getProperties().keySet()));
                }
            });
        };
    }

    /** A schema of one type that renders in both OpenAPI 3.0 ({@code type}) and 3.1 ({@code types}) output. */
    private static Schema<Object> typed(String type) {
        return new Schema<>().type(type).types(Set.of(type));
    }

    static ApiResponse problemResponse(String description) {
        return new ApiResponse().description(description).content(new Content().addMediaType(
                "application/problem+json",
                new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM))));
    }
}
