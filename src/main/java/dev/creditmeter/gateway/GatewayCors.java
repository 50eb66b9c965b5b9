package dev.creditmeter.gateway;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.CorsConfigurationSource;
import org.springframework.web.cors.UrlBasedCorsConfigurationSource;

import java.time.Duration;
import java.util.List;

/**
 * Cross-origin calls to the gateway from browser apps, for the origins in
 * {@code creditmeter.gateway.cors.allowed-origins} (none by default, so no browser app can call it). A preflight
 * is answered by the security chain's CORS filter before authentication: it carries no token. Any request
 * header is allowed (the OpenAI SDKs send their own {@code x-stainless-*} headers); the gateway's own response
 * headers are exposed. No cookies: the gateway authenticates by bearer token only.
 */
@Configuration(proxyBeanMethods = false)
class GatewayCors {

    @Bean
    CorsConfigurationSource corsConfigurationSource(
            @Value("${creditmeter.gateway.cors.allowed-origins:}") List<String> allowedOrigins) {
        var source = new UrlBasedCorsConfigurationSource();
        List<String> origins = allowedOrigins.stream().map(String::strip).filter(o -> !o.isEmpty()).toList();
        if (origins.isEmpty()) {
            return source;
        }
        var gateway = new CorsConfiguration();
        gateway.setAllowedOrigins(origins);
        gateway.setAllowedMethods(List.of("GET", "POST"));
        gateway.addAllowedHeader(CorsConfiguration.ALL);
        gateway.setExposedHeaders(List.of(GatewayController.CHARGED, GatewayController.REMAINING,
                GatewayController.SHOULD_RETRY, GatewayController.UPSTREAM_ATTEMPTS, "Retry-After",
                "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"));
        gateway.setAllowCredentials(false);
        gateway.setMaxAge(Duration.ofHours(1));
        source.registerCorsConfiguration("/v1/**", gateway);
        return source;
    }
}
