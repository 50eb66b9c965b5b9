package dev.creditmeter.identity;

import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * API key secrets (issued, mistyped, revoked, forged) and bearer tokens never reach the log file, the
 * key list or the audit log; the bootstrap admin key is printed exactly once and its file is owner-only.
 */
class SecretsStayOutOfLogsTest extends ApiTest {

    private static final String KEYS = "/api/v1/credits/admin/api-keys";

    @Test
    void secretsAndCanariesNeverReachTheLog() throws IOException {
        String user = newUserId();

        var created = api.post(adminKey(), KEYS, "{\"user_id\":\"" + user + "\",\"role\":\"user\",\"label\":\"log canary\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        JsonNode issued = created.json();
        String key = issued.path("key").asString();
        long id = issued.path("id").asLong();
        assertThat(key).startsWith("cm_").hasSize(43);
        assertThat(issued.path("prefix").asString()).isEqualTo(key.substring(0, 12));
        assertThat(issued.path("user_id").asString()).isEqualTo(user);
        assertThat(issued.path("role").asString()).isEqualTo("user");
        assertThat(issued.path("label").asString()).isEqualTo("log canary");
        assertThat(issued.path("created_at").asString()).endsWith("Z");

        var list = api.get(adminKey(), KEYS);
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body()).doesNotContain(key).doesNotContain(key.substring(12)).doesNotContain(adminKey());
        assertThat(list.json().valueStream().filter(k -> k.has("key")).toList()).as("listed keys with a secret").isEmpty();
        var listed = list.json().valueStream().filter(k -> k.path("id").asLong() == id).findFirst().orElseThrow();
        assertThat(listed.path("prefix").asString()).isEqualTo(key.substring(0, 12));
        assertThat(listed.path("revoked_at").isNull()).isTrue();

        assertThat(api.get(key, "/api/v1/credits/balance").status()).isEqualTo(200);
        assertThat(api.get(key + "x", "/api/v1/credits/balance").status()).isEqualTo(401);

        var revoked = api.delete(adminKey(), KEYS + "/" + id);
        assertThat(revoked.status()).isEqualTo(200);
        assertThat(revoked.body()).doesNotContain(key.substring(12));
        assertThat(api.get(key, "/api/v1/credits/balance").status()).isEqualTo(401);
        assertThat(api.post(key, "/api/v1/credits/allocate", "{\"user_id\":\"" + user + "\",\"amount\":1,\"source\":\"x\"}")
                .status()).isEqualTo(401);

        String canaryKey = "cm_CANARY" + UUID.randomUUID().toString().replace("-", "");
        String canaryJwt = b64("{\"alg\":\"RS256\",\"kid\":\"canary\"}") + "."
                + b64("{\"sub\":\"CANARY" + UUID.randomUUID() + "\"}") + ".CANARYsig" + UUID.randomUUID().toString().replace("-", "");
        String forgedJwt = JWT.forged("canary-" + UUID.randomUUID(), List.of("admin"));
        String expiredJwt = JWT.expired("canary-" + UUID.randomUUID(), List.of("admin"));
        for (String token : List.of(canaryKey, canaryJwt, forgedJwt, expiredJwt)) {
            assertThat(api.get(token, "/api/v1/credits/balance").status()).as(token).isEqualTo(401);
            assertThat(api.get(token, "/api/v1/credits/admin/audit").status()).as(token).isEqualTo(401);
        }
        // A valid JWT is a secret too.
        String validJwt = JWT.token("canary-" + UUID.randomUUID(), List.of());
        assertThat(api.get(validJwt, "/api/v1/credits/balance").status()).isEqualTo(200);

        String log = Files.readString(LOG_FILE, UTF_8);
        assertThat(log).as("the log file").isNotEmpty();
        List<String> secrets = new ArrayList<>(List.of(key, key.substring(12), canaryKey, canaryJwt, forgedJwt, expiredJwt, validJwt));
        secrets.add(signatureOf(forgedJwt));
        secrets.add(signatureOf(validJwt));
        for (String secret : secrets) {
            assertThat(log.contains(secret)).as("log contains secret %s…", secret.substring(0, 8)).isFalse();
        }
        assertThat(log).doesNotContain("CANARY");
        try (var files = Files.list(DATA_DIR)) {
            for (var other : files.filter(f -> f.toString().endsWith(".log") && !f.equals(LOG_FILE)).toList()) {
                String text = Files.readString(other, UTF_8);
                for (String secret : secrets) {
                    assertThat(text.contains(secret)).as("%s contains secret %s…", other.getFileName(), secret.substring(0, 8))
                            .isFalse();
                }
            }
        }

        var audit = api.get(adminKey(), "/api/v1/credits/admin/audit?limit=500");
        assertThat(audit.status()).isEqualTo(200);
        for (String secret : secrets) {
            assertThat(audit.body().contains(secret)).as("audit contains secret %s…", secret.substring(0, 8)).isFalse();
        }
        assertThat(audit.body()).doesNotContain(adminKey());
    }

    @Test
    void bootstrapAdminKeyIsPrintedOnceAndItsFileIsOwnerOnly() throws IOException {
        String adminKey = adminKey();
        assertThat(adminKey).startsWith("cm_").hasSize(43);
        // The data directory is fresh for every test JVM, so the shared context created the key in
        // this run and the log (which covers the whole run) holds its single announcement.
        String log = Files.readString(LOG_FILE, UTF_8);
        assertThat(occurrences(log, adminKey)).as("times the bootstrap admin key is in the log").isEqualTo(1);
        assertThat(occurrences(log, adminKey.substring(12))).isEqualTo(1);

        var file = DATA_DIR.resolve("admin.key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Files.readString(file, UTF_8)).isEqualTo(adminKey + "\n");

        assertThat(api.get(adminKey, "/api/v1/credits/admin/ledger/verify").status()).isEqualTo(200);
        assertThat(Files.readString(LOG_FILE, UTF_8)).as("using the key does not log it")
                .satisfies(after -> assertThat(occurrences(after, adminKey)).isEqualTo(1));
    }

    @Test
    void issuingAndRevokingKeysIsAudited() {
        String user = newUserId();
        var created = api.post(adminKey(), KEYS, "{\"user_id\":\"" + user + "\",\"role\":\"service\"}");
        assertThat(created.status()).isEqualTo(201);
        long id = created.json().path("id").asLong();
        String key = created.json().path("key").asString();
        String prefix = created.json().path("prefix").asString();
        assertThat(api.delete(adminKey(), KEYS + "/" + id).status()).isEqualTo(200);

        var creates = api.get(adminKey(), "/api/v1/credits/admin/audit?action=api_key.create&user_id=" + user);
        assertThat(creates.status()).isEqualTo(200);
        assertThat(creates.json().size()).as(creates.body()).isEqualTo(1);
        JsonNode create = creates.json().get(0);
        assertThat(fieldNames(create)).containsExactlyInAnyOrder(
                "id", "at", "actor", "action", "target_user_id", "target", "outcome", "details");
        assertThat(create.path("id").isIntegralNumber()).isTrue();
        assertThat(create.path("at").asString()).endsWith("Z");
        assertThat(create.path("actor").asString()).isEqualTo("admin:admin");
        assertThat(create.path("action").asString()).isEqualTo("api_key.create");
        assertThat(create.path("target_user_id").asString()).isEqualTo(user);
        assertThat(create.path("target").asString()).isEqualTo("api_key:" + id);
        assertThat(create.path("outcome").asString()).isEqualTo("success");
        assertThat(create.path("details").path("role").asString()).isEqualTo("service");
        assertThat(create.path("details").path("prefix").asString()).isEqualTo(prefix);
        assertThat(creates.body()).doesNotContain(key.substring(12));

        var anyCreate = api.get(adminKey(), "/api/v1/credits/admin/audit?action=api_key.create&limit=500");
        assertThat(anyCreate.json().valueStream().map(e -> e.path("action").asString()).distinct().toList())
                .containsExactly("api_key.create");
        assertThat(anyCreate.json().valueStream().map(e -> e.path("target").asString()).toList())
                .contains("api_key:" + id);

        var revokes = api.get(adminKey(), "/api/v1/credits/admin/audit?action=api_key.revoke&user_id=" + user);
        assertThat(revokes.json().size()).as(revokes.body()).isEqualTo(1);
        JsonNode revoke = revokes.json().get(0);
        assertThat(revoke.path("actor").asString()).isEqualTo("admin:admin");
        assertThat(revoke.path("action").asString()).isEqualTo("api_key.revoke");
        assertThat(revoke.path("target_user_id").asString()).isEqualTo(user);
        assertThat(revoke.path("target").asString()).isEqualTo("api_key:" + id);
        assertThat(revoke.path("outcome").asString()).isEqualTo("success");
        assertThat(revoke.path("details").path("prefix").asString()).isEqualTo(prefix);
        assertThat(revoke.path("id").asLong()).isGreaterThan(create.path("id").asLong());
    }

    private static List<String> fieldNames(JsonNode node) {
        return node.propertyNames().stream().toList();
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(UTF_8));
    }

    private static String signatureOf(String jwt) {
        return jwt.substring(jwt.lastIndexOf('.') + 1);
    }

    private static int occurrences(String text, String needle) {
        int count = 0;
        for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
            count++;
        }
        return count;
    }
}
