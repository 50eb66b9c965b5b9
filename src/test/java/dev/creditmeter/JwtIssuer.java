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
        server.start();
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
