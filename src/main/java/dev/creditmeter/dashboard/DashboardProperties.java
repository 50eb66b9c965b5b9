package dev.creditmeter.dashboard;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.net.URI;

/**
 * Sign-in to the dashboard through an OpenID provider (authorization code with PKCE), on when {@code clientId},
 * {@code authorizationUri} and {@code tokenUri} are set (from the provider's discovery document). The tokens it
 * issues must be ones the API accepts: the same provider as {@code creditmeter.security.jwt.issuer-uri}.
 *
 * @param clientSecret for a provider that treats the dashboard as a confidential client; never printed
 */
@ConfigurationProperties("creditmeter.dashboard.oidc")
record DashboardProperties(String clientId, String clientSecret, URI authorizationUri, URI tokenUri, String scope) {

    DashboardProperties {
        scope = scope == null || scope.isBlank() ? "openid" : scope;
        clientSecret = clientSecret == null || clientSecret.isBlank() ? null : clientSecret;
    }

    boolean enabled() {
        return clientId != null && !clientId.isBlank() && authorizationUri != null && tokenUri != null;
    }

    @Override
    public String toString() {
        return "DashboardProperties[clientId=" + clientId + ", clientSecret=" + (clientSecret == null ? "unset" : "****")
                + ", authorizationUri=" + authorizationUri + ", tokenUri=" + tokenUri + ", scope=" + scope + "]";
    }
}
