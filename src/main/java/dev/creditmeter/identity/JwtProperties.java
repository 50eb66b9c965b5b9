package dev.creditmeter.identity;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * OIDC JWT validation. Without an issuer or a JWK set URL, only API keys are accepted.
 *
 * @param issuerUri  expected {@code iss}; also where the JWK set is discovered when {@code jwkSetUri} is absent
 * @param jwkSetUri  where the signing keys are published
 * @param userClaim  the claim that names the user ({@code sub}, {@code email}, …)
 * @param rolesClaim dotted path to the roles array ({@code realm_access.roles} for Keycloak)
 */
@ConfigurationProperties("creditmeter.security.jwt")
record JwtProperties(String issuerUri, String jwkSetUri, String userClaim, String rolesClaim) {

    JwtProperties {
        userClaim = userClaim == null || userClaim.isBlank() ? "sub" : userClaim;
        rolesClaim = rolesClaim == null || rolesClaim.isBlank() ? "realm_access.roles" : rolesClaim;
    }

    boolean enabled() {
        return present(issuerUri) || present(jwkSetUri);
    }

    static boolean present(String value) {
        return value != null && !value.isBlank();
    }
}
