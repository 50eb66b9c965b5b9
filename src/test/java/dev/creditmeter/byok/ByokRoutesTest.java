package dev.creditmeter.byok;

import dev.creditmeter.ApiTest;
import dev.creditmeter.FakeOpenRouter;
import dev.creditmeter.FakeOpenRouter.Answer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.nio.file.Files;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class ByokRoutesTest extends ApiTest {

    private static final String BASE = "/api/v1/credits/openrouter";

    @Autowired
    JdbcClient jdbc;

    private static String newKey() {
        return "sk-or-v1-" + UUID.randomUUID().toString().replace("-", "") + "canary";
    }

    @Test
    void connectsAVerifiedKeyAndStoresItOnlyEncrypted() throws Exception {
        String user = newUserId();
        String token = keyFor(user, "user");
        String apiKey = newKey();
        FakeOpenRouter.registerKey(apiKey, "alice-laptop", "7.5");

        var created = api.post(token, BASE + "/create-account", "{\"api_key\":\"" + apiKey + "\",\"email\":\"a@example.com\"}");

        assertThat(created.status()).as(created.body()).isEqualTo(200);
        var account = created.json();
        assertThat(account.path("user_id").asString()).isEqualTo(user);
        assertThat(account.path("account_id").asString()).isEqualTo("alice-laptop");
        assertThat(account.path("email").asString()).isEqualTo("a@example.com");
        assertThat(account.path("key_hint").asString()).isEqualTo("sk-or-v1-…" + apiKey.substring(apiKey.length() - 4));
        assertThat(account.path("free_credits_remaining").decimalValue()).isEqualByComparingTo("7.5");
        assertThat(account.path("is_active").asBoolean()).isTrue();
        assertThat(account.path("last_synced").asString()).endsWith("Z");
        assertThat(created.body()).doesNotContain(apiKey).doesNotContain("encrypted");

        String stored = jdbc.sql("select encrypted_key from openrouter_accounts where user_id = ?").param(user)
                .query(String.class).single();
        assertThat(stored).doesNotContain(apiKey).doesNotContain("sk-or").startsWith("gAAAAA");
        assertThat(api.get(token, BASE + "/account").json().path("account_id").asString()).isEqualTo("alice-laptop");
        assertThat(Files.readString(LOG_FILE)).doesNotContain(apiKey);
    }

    @Test
    void refusesAKeyOpenRouterRejectsAndStoresNothing() {
        String user = newUserId();
        String token = keyFor(user, "user");
        String apiKey = newKey();

        var response = api.post(token, BASE + "/create-account", "{\"api_key\":\"" + apiKey + "\"}");

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.detail()).isEqualTo("Invalid OpenRouter API key: HTTP 401: User not found.");
        assertThat(api.get(token, BASE + "/account").body()).isEqualTo("null");
        assertThat(FakeOpenRouter.keyRequests(apiKey)).as("4xx is never retried").isEqualTo(1);
    }

    @Test
    void retriesServerErrorsAndHonoursRetryAfter() {
        String user = newUserId();
        String token = keyFor(user, "user");
        String apiKey = newKey();
        FakeOpenRouter.registerKey(apiKey, "flaky", "null");
        FakeOpenRouter.answerKeyNext(apiKey, new Answer(502, "{}", null), new Answer(429, "{}", "1"));

        long start = System.nanoTime();
        var response = api.post(token, BASE + "/create-account", "{\"api_key\":\"" + apiKey + "\"}");

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.json().path("free_credits_remaining").decimalValue()).isEqualByComparingTo("0");
        assertThat(FakeOpenRouter.keyRequests(apiKey)).isEqualTo(3);
        assertThat(System.nanoTime() - start).as("waited for Retry-After: 1").isGreaterThan(900_000_000L);
    }

    @Test
    void givesUpAfterThreeAttempts() {
        String user = newUserId();
        String token = keyFor(user, "user");
        String apiKey = newKey();
        FakeOpenRouter.registerKey(apiKey, "down", "1");
        FakeOpenRouter.answerKeyNext(apiKey, new Answer(500, "{}", null), new Answer(503, "{}", null),
                new Answer(500, "{\"error\":{\"message\":\"upstream sad " + apiKey + "\"}}", null));

        var response = api.post(token, BASE + "/create-account", "{\"api_key\":\"" + apiKey + "\"}");

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.detail()).startsWith("Invalid OpenRouter API key: HTTP 500").doesNotContain(apiKey);
        assertThat(FakeOpenRouter.keyRequests(apiKey)).isEqualTo(3);
    }

    @Test
    void syncsTheBalanceAndReportsFailures() {
        String user = newUserId();
        String token = keyFor(user, "user");
        assertThat(api.post(token, BASE + "/sync-balance", "").detail()).isEqualTo("No OpenRouter account for user " + user);

        String apiKey = newKey();
        FakeOpenRouter.registerKey(apiKey, "k", "2");
        api.post(token, BASE + "/create-account", "{\"api_key\":\"" + apiKey + "\"}");
        FakeOpenRouter.registerKey(apiKey, "k", "1.25");

        var synced = api.post(token, BASE + "/sync-balance", "");
        assertThat(synced.status()).isEqualTo(200);
        assertThat(synced.body()).isEqualTo("{\"free_credits\":1.25}");
        assertThat(api.get(token, BASE + "/account").json().path("free_credits_remaining").decimalValue())
                .isEqualByComparingTo("1.25");

        FakeOpenRouter.answerKeyNext(apiKey, new Answer(500, "{}", null), new Answer(500, "{}", null), new Answer(500, "{}", null));
        assertThat(api.post(token, BASE + "/sync-balance", "").detail()).startsWith("Failed to sync credits: HTTP 500");
        FakeOpenRouter.answerKeyNext(apiKey, new Answer(401, "{\"error\":{\"message\":\"Key revoked\"}}", null));
        assertThat(api.post(token, BASE + "/sync-balance", "").detail()).isEqualTo("Invalid OpenRouter API key: HTTP 401: Key revoked");
    }

    @Test
    void deletesTheAccountAlsoWhenThereIsNone() {
        String user = newUserId();
        String token = keyFor(user, "user");
        String apiKey = newKey();
        FakeOpenRouter.registerKey(apiKey, "k", "1");
        api.post(token, BASE + "/create-account", "{\"api_key\":\"" + apiKey + "\"}");

        var deleted = api.delete(token, BASE + "/account");
        var again = api.delete(token, BASE + "/account");

        assertThat(deleted.body()).isEqualTo("{\"message\":\"OpenRouter account deleted successfully\"}");
        assertThat(again.status()).isEqualTo(200);
        assertThat(api.get(token, BASE + "/account").body()).isEqualTo("null");
    }

    @Test
    void rotationReencryptsEveryStoredKey() {
        String user = newUserId();
        String token = keyFor(user, "user");
        String apiKey = newKey();
        FakeOpenRouter.registerKey(apiKey, "k", "1");
        api.post(token, BASE + "/create-account", "{\"api_key\":\"" + apiKey + "\"}");
        String before = jdbc.sql("select encrypted_key from openrouter_accounts where user_id = ?").param(user)
                .query(String.class).single();

        var rotated = api.post(adminKey(), "/api/v1/credits/admin/byok/rotate", "");

        assertThat(rotated.status()).isEqualTo(200);
        assertThat(rotated.json().path("re_encrypted").asInt()).isGreaterThanOrEqualTo(1);
        String after = jdbc.sql("select encrypted_key from openrouter_accounts where user_id = ?").param(user)
                .query(String.class).single();
        assertThat(after).isNotEqualTo(before);
        assertThat(api.post(token, BASE + "/sync-balance", "").status()).as("still opens").isEqualTo(200);
        assertThat(api.post(token, "/api/v1/credits/admin/byok/rotate", "").status()).isEqualTo(403);
    }

    @Test
    void aCiphertextMovedToAnotherUsersRowDoesNotOpen() {
        String alice = newUserId();
        String mallory = newUserId();
        String aliceToken = keyFor(alice, "user");
        String malloryToken = keyFor(mallory, "user");
        String aliceKey = newKey();
        String malloryKey = newKey();
        FakeOpenRouter.registerKey(aliceKey, "alice", "1");
        FakeOpenRouter.registerKey(malloryKey, "mallory", "1");
        api.post(aliceToken, BASE + "/create-account", "{\"api_key\":\"" + aliceKey + "\"}");
        api.post(malloryToken, BASE + "/create-account", "{\"api_key\":\"" + malloryKey + "\"}");
        jdbc.sql("update openrouter_accounts set encrypted_key = (select encrypted_key from openrouter_accounts where user_id = ?) where user_id = ?")
                .param(alice).param(mallory).update();
        int aliceCalls = FakeOpenRouter.keyRequests(aliceKey);

        var response = api.post(malloryToken, BASE + "/sync-balance", "");

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.detail()).contains("cannot be decrypted");
        assertThat(response.body()).doesNotContain(aliceKey);
        assertThat(FakeOpenRouter.keyRequests(aliceKey)).as("alice's key was never used for mallory").isEqualTo(aliceCalls);
    }
}
