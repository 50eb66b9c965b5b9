package dev.creditmeter.identity;

import dev.creditmeter.web.Problems;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtDecoders;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.jwt.SupplierJwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationProvider;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.firewall.StrictHttpFirewall;
import org.springframework.security.web.header.writers.DelegatingRequestMatcherHeaderWriter;
import org.springframework.security.web.header.writers.StaticHeadersWriter;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;

import java.util.ArrayList;
import java.util.List;

/**
 * Every route and the roles it admits, in one place. The filter chain answers 401 and 403 before a
 * controller sees the request, which gives the contract's order: 401, then 403, then validation.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    private static final String CREDITS = "/api/v1/credits";
    private static final String[] DASHBOARD_PAGES = {"/", "/index.html", "/dashboard/**", "/webjars/**", "/favicon.ico"};
    /** The dashboard's pages load, run and call nothing but the service's own origin; no inline script or style. */
    private static final String DASHBOARD_CONTENT_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            + "frame-ancestors 'none'; form-action 'self'";

    @Bean
    SecurityFilterChain api(HttpSecurity http, ApiKeyService apiKeys, JwtProperties jwt, Problems problems) throws Exception {
        List<AuthenticationProvider> providers = new ArrayList<>();
        providers.add(new ApiKeyProvider(apiKeys));
        if (jwt.enabled()) {
            var provider = new JwtAuthenticationProvider(jwtDecoder(jwt));
            provider.setJwtAuthenticationConverter(new JwtCallers(jwt));
            providers.add(provider);
        }
        var manager = new ProviderManager(providers);
        AuthenticationEntryPoint unauthorized = (request, response, e) -> {
            response.setHeader("WWW-Authenticate", "Bearer");
            problems.write(response, HttpStatus.UNAUTHORIZED, "Missing, invalid, revoked or expired bearer token");
        };
        AccessDeniedHandler forbidden = (request, response, e) ->
                problems.write(response, HttpStatus.FORBIDDEN, "Admin access required");

        return http
                .csrf(csrf -> csrf.disable())
                .cors(Customizer.withDefaults()) // the gateway's allowed origins, if any (gateway.GatewayCors)
                .httpBasic(basic -> basic.disable())
                .formLogin(form -> form.disable())
                .logout(logout -> logout.disable())
                .requestCache(cache -> cache.disable())
                .headers(headers -> headers.addHeaderWriter(new DelegatingRequestMatcherHeaderWriter(dashboardPages(),
                        new StaticHeadersWriter("Content-Security-Policy", DASHBOARD_CONTENT_POLICY))))
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .authorizeHttpRequests(routes -> routes
                        .requestMatchers(HttpMethod.GET, CREDITS + "/tiers/compare").permitAll()
                        // The dashboard's pages and its sign-in settings; everything they show comes from the API.
                        .requestMatchers(HttpMethod.GET, DASHBOARD_PAGES).permitAll()
                        .requestMatchers(HttpMethod.GET, CREDITS + "/dashboard/config").permitAll()
                        .requestMatchers(HttpMethod.POST, CREDITS + "/dashboard/oidc/token").permitAll()
                        .requestMatchers("/docs", "/docs/**", "/swagger-ui/**", "/openapi.json", "/openapi.json/**").permitAll()
                        .requestMatchers("/actuator/health", "/actuator/health/**", "/error").permitAll()
                        .requestMatchers("/actuator/**").hasAnyRole("ADMIN", "SERVICE")
                        .requestMatchers(CREDITS + "/admin/**").hasRole("ADMIN")
                        .requestMatchers(HttpMethod.POST, CREDITS + "/allocate", CREDITS + "/deduct", CREDITS + "/refund",
                                CREDITS + "/usage/events", CREDITS + "/tiers/switch",
                                CREDITS + "/integrations/litellm")
                        .hasAnyRole("ADMIN", "SERVICE")
                        .requestMatchers(HttpMethod.PUT, CREDITS + "/pricing/models/**").hasRole("ADMIN")
                        .requestMatchers(HttpMethod.POST, CREDITS + "/pricing/sync").hasRole("ADMIN")
                        // Coupons: creating, listing and deactivating are for admins; validate, redeem and
                        // the redemptions list are for every role (a user acts on itself).
                        .requestMatchers(HttpMethod.POST, CREDITS + "/coupons/create").hasRole("ADMIN")
                        .requestMatchers(HttpMethod.GET, CREDITS + "/coupons").hasRole("ADMIN")
                        .requestMatchers(HttpMethod.DELETE, CREDITS + "/coupons/*").hasRole("ADMIN")
                        .anyRequest().authenticated())
                .oauth2ResourceServer(resource -> resource
                        .authenticationManagerResolver(request -> manager)
                        .authenticationEntryPoint(unauthorized)
                        .accessDeniedHandler(forbidden))
                .exceptionHandling(handling -> handling
                        .authenticationEntryPoint(unauthorized)
                        .accessDeniedHandler(forbidden))
                .build();
    }

    private static OrRequestMatcher dashboardPages() {
        var paths = PathPatternRequestMatcher.withDefaults();
        return new OrRequestMatcher(paths.matcher("/"), paths.matcher("/index.html"), paths.matcher("/dashboard/**"));
    }

    /**
     * Spring Security observes nothing: with an observation registry present it would wrap every filter of
     * every request, the authentication manager and the authorization manager in an observation of its own.
     * Turning those observations off by name ({@code management.observations.enable.spring.security=false},
     * as before) kept the wrappers, which still asked the registry per filter and request; without them a
     * JFR profile of {@code GET /balance} lost the wrappers' 4 % of the service's CPU samples. The HTTP
     * server's own observation ({@code http.server.requests}) still times every request, 401 and 403
     * included.
     */
    @Bean
    static SecurityObservationSettings securityObservationSettings() {
        return SecurityObservationSettings.noObservations();
    }

    /**
     * The default firewall, except that an encoded slash ({@code %2F}) is allowed: the OpenAI SDKs send model ids
     * such as {@code openai/gpt-4o-mini} encoded in {@code /v1/models/{id}} ({@code gateway.ModelIdsInPaths}). The
     * rules above match the request URI segment by segment, as Spring MVC routes it, so an encoded slash cannot
     * make a path that one of them reads differently from the other.
     */
    @Bean
    StrictHttpFirewall httpFirewall() {
        var firewall = new StrictHttpFirewall();
        firewall.setAllowUrlEncodedSlash(true);
        return firewall;
    }

    private static JwtDecoder jwtDecoder(JwtProperties jwt) {
        if (!JwtProperties.present(jwt.jwkSetUri())) {
            // Discovery needs the issuer to answer; do it on first use so that start-up does not depend on it.
            return new SupplierJwtDecoder(() -> JwtDecoders.fromIssuerLocation(jwt.issuerUri()));
        }
        NimbusJwtDecoder decoder = NimbusJwtDecoder.withJwkSetUri(jwt.jwkSetUri()).build();
        decoder.setJwtValidator(JwtProperties.present(jwt.issuerUri())
                ? JwtValidators.createDefaultWithIssuer(jwt.issuerUri())
                : JwtValidators.createDefault());
        return decoder;
    }

    /** Authenticates {@code cm_…} bearer tokens; leaves anything else to the JWT provider. */
    private record ApiKeyProvider(ApiKeyService apiKeys) implements AuthenticationProvider {
        @Override
        public Authentication authenticate(Authentication authentication) {
            String token = ((BearerTokenAuthenticationToken) authentication).getToken();
            if (!ApiKeyService.looksLikeApiKey(token)) {
                return null;
            }
            return apiKeys.authenticate(token).map(CallerAuthentication::new)
                    .orElseThrow(() -> new BadCredentialsException("Unknown or revoked API key"));
        }

        @Override
        public boolean supports(Class<?> type) {
            return BearerTokenAuthenticationToken.class.isAssignableFrom(type);
        }
    }
}
