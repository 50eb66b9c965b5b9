package dev.creditmeter.web;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springdoc.core.customizers.OperationCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.Map;

/**
 * The OpenAPI description at /openapi.json: a bearer scheme, and the problem+json answers every
 * authenticated route can give (401, 403, 422) besides those each route declares.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    private static final String PROBLEM = "Problem";

    @Bean
    OpenAPI creditmeterOpenApi() {
        Schema<?> field = new Schema<>().type("object")
                .addProperty("field", new Schema<>().type("string"))
                .addProperty("message", new Schema<>().type("string"));
        Schema<?> problem = new Schema<>().type("object")
                .description("RFC 9457 problem details; `detail` carries the message text")
                .addProperty("type", new Schema<>().type("string"))
                .addProperty("title", new Schema<>().type("string"))
                .addProperty("status", new Schema<>().type("integer"))
                .addProperty("detail", new Schema<>().type("string"))
                .addProperty("instance", new Schema<>().type("string"))
                .addProperty("errors", new Schema<>().type("array").items(field));
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

    @Bean
    OperationCustomizer standardProblems() {
        return (operation, handler) -> {
            Map<String, String> standard = Map.of(
                    "400", "Malformed request (bad JSON, bad Idempotency-Key)",
                    "401", "Missing, unknown, revoked or expired token",
                    "403", "Admin access required",
                    "422", "Validation failed; `errors` names the fields");
            standard.forEach((code, description) -> {
                if (operation.getResponses() != null && !operation.getResponses().containsKey(code)) {
                    operation.getResponses().addApiResponse(code, problemResponse(description));
                }
            });
            return operation;
        };
    }

    static ApiResponse problemResponse(String description) {
        return new ApiResponse().description(description).content(new Content().addMediaType(
                "application/problem+json",
                new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM))));
    }
}
