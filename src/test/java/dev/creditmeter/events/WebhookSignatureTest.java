package dev.creditmeter.events;

import com.standardwebhooks.Webhook;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Our signatures against the Standard Webhooks reference library and the specification's example. */
class WebhookSignatureTest {

    @Test
    void signsTheSpecificationsExample() {
        assertThat(WebhookSignature.sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330, "{\"test\": 2432232314}"))
                .isEqualTo("g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void signsAsTheReferenceLibraryDoes() throws Exception {
        for (int i = 0; i < 20; i++) {
            String secret = WebhookSignature.newSecret();
            String id = Long.toString(1000L + i);
            long timestamp = Instant.now().getEpochSecond() - i;
            String body = "{\"n\":" + i + ",\"text\":\"ü " + UUID.randomUUID() + "\"}";
            assertThat("v1," + WebhookSignature.sign(secret, id, timestamp, body))
                    .isEqualTo(new Webhook(secret).sign(id, timestamp, body));
        }
    }

    @Test
    void aHeaderCarriesOneSignaturePerSecret() {
        String first = WebhookSignature.newSecret(), second = WebhookSignature.newSecret();
        String header = WebhookSignature.header(java.util.List.of(first, second), "7", 1_700_000_000L, "{}");
        assertThat(header.split(" ")).containsExactly("v1," + WebhookSignature.sign(first, "7", 1_700_000_000L, "{}"),
                "v1," + WebhookSignature.sign(second, "7", 1_700_000_000L, "{}"));
        assertThat(first).startsWith("whsec_").isNotEqualTo(second);
    }
}
