/** Who is calling: API keys issued by the service, OIDC JWTs, roles, and the route-by-role rules. */
package dev.creditmeter.identity;
