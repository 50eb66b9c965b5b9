package dev.creditmeter.identity;

import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** A successful authentication: the caller and its role as the single authority. */
final class CallerAuthentication extends AbstractAuthenticationToken {

    /** One list per role, built once: every authenticated request makes one of these. */
    private static final Map<Role, List<GrantedAuthority>> AUTHORITIES = new EnumMap<>(Role.class);

    static {
        for (Role role : Role.values()) {
            AUTHORITIES.put(role, List.of(new SimpleGrantedAuthority("ROLE_" + role.name())));
        }
    }

    private final Caller caller;

    CallerAuthentication(Caller caller) {
        super(AUTHORITIES.get(caller.role()));
        this.caller = caller;
        setAuthenticated(true);
    }

    @Override
    public Object getCredentials() {
        return null;
    }

    @Override
    public Caller getPrincipal() {
        return caller;
    }
}
