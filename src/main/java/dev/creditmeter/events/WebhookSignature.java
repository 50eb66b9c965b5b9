package dev.creditmeter.events;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Signatures as the Standard Webhooks specification defines them: HMAC-SHA256, keyed with the base64-decoded
 * secret after its {@code whsec_} prefix, over {@code <webhook-id>.<webhook-timestamp>.<body>}; the header lists
 * {@code v1,<base64 signature>} once per secret, separated by spaces.
 */
final class WebhookSignature {

    static final String SECRET_PREFIX = "whsec_";
    private static final int SECRET_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private WebhookSignature() {
    }

    static String newSecret() {
        byte[] key = new byte[SECRET_BYTES];
        RANDOM.nextBytes(key);
        return SECRET_PREFIX + Base64.getEncoder().encodeToString(key);
    }

    /** The webhook-signature header's value: one signature per secret, in the order given. */
    static String header(List<String> secrets, String messageId, long timestampSeconds, String body) {
        return secrets.stream().map(secret -> "v1," + sign(secret, messageId, timestampSeconds, body))
                .collect(Collectors.joining(" "));
    }

    static String sign(String secret, String messageId, long timestampSeconds, String body) {
        byte[] key = Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] signature = mac.doFinal((messageId + "." + timestampSeconds + "." + body)
                    .getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(signature);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
