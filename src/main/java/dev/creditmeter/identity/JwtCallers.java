package dev.creditmeter.identity;

import dev.creditmeter.web.TextRules;
import org.springframework.core.convert.converter.Converter;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.jwt.Jwt;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/** Turns a validated JWT into a caller: the user from the configured claim, the role from the roles claim. */
final class JwtCallers implements Converter<Jwt, AbstractAuthenticationToken> {

    private final JwtProperties properties;

    JwtCallers(JwtProperties properties) {
        this.properties = properties;
    }

    @Override
    public AbstractAuthenticationToken convert(Jwt jwt) {
        Object user = jwt.getClaims().get(properties.userClaim());
        // The user id is stored with everything the caller does: it must be a name the service can store.
        if (!(user instanceof String userId) || userId.isBlank() || TextRules.nameProblem(userId) != null) {
            throw new OAuth2AuthenticationException(new OAuth2Error("invalid_token",
                    "The token has no usable " + properties.userClaim() + " claim", null));
        }
        return new CallerAuthentication(new Caller(userId, role(roles(jwt.getClaims()))));
    }

    /** A moderator counts as an admin; admin wins over service, service over user. */
    private static Role role(Collection<?> roles) {
        if (roles.contains("admin") || roles.contains("moderator")) {
            return Role.ADMIN;
        }
        return roles.contains("service") ? Role.SERVICE : Role.USER;
    }

    private Collection<?> roles(Map<String, Object> claims) {
        Object node = claims;
        for (String part : properties.rolesClaim().split("\\.")) {
            if (!(node instanceof Map<?, ?> map)) {
                return List.of();
            }
            node = map.get(part);
        }
        return node instanceof Collection<?> collection ? collection : List.of();
    }
}
