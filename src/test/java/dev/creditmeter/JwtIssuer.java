package dev.creditmeter;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * A stand-in OIDC provider: an RSA key of its own, served as a JWK set by a local HTTP server,
 * and tokens signed with it (or, for forgeries, with a key nobody published).
 */
public final class JwtIssuer {

    private final RSAKey key = generate("test-key");
    private final RSAKey stranger = generate("test-key"); // same kid, different key: a forgery
    private final HttpServer server;

    JwtIssuer() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] jwks = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        server.createContext("/realms/test/jwks", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, jwks.length);
            exchange.getResponseBody().write(jwks);
            exchange.close();
        });
        server.createContext("/realms/test/authorize", this::authorize);
        server.createContext("/realms/test/token", this::exchange);
        server.start();
    }

    /** Who signs in at the provider next (the person in front of the browser), with which roles. */
    public void signInNextAs(String subject, List<String> roles) {
        nextSubject = subject;
        nextRoles = roles;
    }

    /** The PKCE method of each authorization request, in order: the dashboard must send S256. */
    public List<String> challengeMethods() {
        return List.copyOf(challengeMethods);
    }

    private volatile String nextSubject;
    private volatile List<String> nextRoles = List.of();
    private final List<String> challengeMethods = new java.util.concurrent.CopyOnWriteArrayList<>();
    private record Grant(String clientId, String redirectUri, String challenge, String subject, List<String> roles) {
    }
    private final Map<String, Grant> grants = new java.util.concurrent.ConcurrentHashMap<>();

    /** The authorization endpoint: the person is signed in already and consents; back to the client with a code. */
    private void authorize(com.sun.net.httpserver.HttpExchange exchange) throws IOException {
        Map<String, String> query = form(exchange.getRequestURI().getRawQuery());
        challengeMethods.add(String.valueOf(query.get("code_challenge_method")));
        String code = java.util.UUID.randomUUID().toString();
        grants.put(code, new Grant(query.get("client_id"), query.get("redirect_uri"), query.get("code_challenge"),
                nextSubject, nextRoles));
        exchange.getResponseHeaders().add("Location", query.get("redirect_uri") + "?code=" + code + "&state="
                + java.net.URLEncoder.encode(query.get("state"), StandardCharsets.UTF_8));
        exchange.sendResponseHeaders(302, -1);
        exchange.close();
    }

    /** The token endpoint: a code once, for the client and redirect it was issued to, with the verifier of its challenge. */
    private void exchange(com.sun.net.httpserver.HttpExchange exchange) throws IOException {
        Map<String, String> form = form(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        Grant grant = grants.remove(String.valueOf(form.get("code")));
        String answer;
        int status;
        if (grant == null || !grant.clientId().equals(form.get("client_id")) || !grant.redirectUri().equals(form.get("redirect_uri"))) {
            status = 400;
            answer = "{\"error\":\"invalid_grant\",\"error_description\":\"Code not valid\"}";
        } else if (!grant.challenge().equals(s256(String.valueOf(form.get("code_verifier"))))) {
            status = 400;
            answer = "{\"error\":\"invalid_grant\",\"error_description\":\"PKCE verification failed\"}";
        } else {
            status = 200;
            answer = "{\"access_token\":\"" + token(grant.subject(), grant.roles()) + "\",\"token_type\":\"Bearer\",\"expires_in\":300}";
        }
        byte[] body = answer.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    private static Map<String, String> form(String encoded) {
        var values = new java.util.HashMap<String, String>();
        for (String pair : (encoded == null ? "" : encoded).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                values.put(java.net.URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    private static String s256(String verifier) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public String authorizationUri() {
        return issuer() + "/authorize";
    }

    public String tokenUri() {
        return issuer() + "/token";
    }

    public String issuer() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/realms/test";
    }

    public String jwkSetUri() {
        return issuer() + "/jwks";
    }

    public String token(String subject, List<String> roles) {
        return sign(key, subject, roles, Duration.ofMinutes(5), issuer());
    }

    public String expired(String subject, List<String> roles) {
        return sign(key, subject, roles, Duration.ofMinutes(-10), issuer());
    }

    public String forged(String subject, List<String> roles) {
        return sign(stranger, subject, roles, Duration.ofMinutes(5), issuer());
    }

    public String wrongIssuer(String subject, List<String> roles) {
        return sign(key, subject, roles, Duration.ofMinutes(5), "http://elsewhere.invalid/realms/x");
    }

    private static String sign(RSAKey signingKey, String subject, List<String> roles, Duration ttl, String issuer) {
        Instant now = Instant.now();
        var claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject(subject)
                .issueTime(Date.from(now.minus(Duration.ofMinutes(20))))
                .expirationTime(Date.from(now.plus(ttl)))
                .claim("realm_access", Map.of("roles", roles))
                .build();
        var jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(signingKey.getKeyID()).build(), claims);
        try {
            jwt.sign(new RSASSASigner(signingKey));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }

    private static RSAKey generate(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
