package dev.creditmeter;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two canaries, an API key the service issues and a BYOK key a user connects, go through everything a client can
 * do with them on a node of its own (a separate process, on the test's database): used right, used wrong,
 * forged, sent where no key belongs, rejected by OpenRouter, revoked. Afterwards neither
 * is in any answer (but the one that issued the API key), the node's log, its metrics, its thread names, the
 * database as text, or the strings of a heap dump of the node taken once other clients' requests have reused the
 * web server's request buffers ({@link #otherClientsCome}).
 */
class SecretsCanaryTest extends ApiTest {

    @Autowired
    HikariDataSource dataSource;

    @TempDir
    Path directory;

    /**
     * How long the node keeps an idle connection to OpenRouter (30 s unless set). The JDK's HTTP client keeps the
     * last exchange of a pooled connection, and with it the request's headers: a key stays in memory as long as
     * the connection that last carried it, and no longer.
     */
    private static final Duration UPSTREAM_KEEP_ALIVE = Duration.ofSeconds(2);

    private ServiceProcess node;

    @BeforeEach
    void startNode() throws Exception {
        node = ServiceProcess.start(directory.resolve("node"), Map.of(
                "SPRING_DATASOURCE_URL", dataSource.getJdbcUrl(),
                "SPRING_DATASOURCE_USERNAME", dataSource.getUsername(),
                "SPRING_DATASOURCE_PASSWORD", dataSource.getPassword(),
                "CREDITMETER_OPENROUTER_BASE_URL", FakeOpenRouter.baseUrl(),
                "CREDITMETER_OPENROUTER_PLATFORM_KEY", FakeOpenRouter.PLATFORM_KEY,
                "JAVA_TOOL_OPTIONS", "-Djdk.httpclient.keepalive.timeout=" + UPSTREAM_KEEP_ALIVE.toSeconds()));
    }

    private String user;

    /**
     * The node's data directory has a BYOK keyring of its own: a key it stored would be one the other tests' nodes
     * cannot decrypt (nor re-encrypt on rotation). The test disconnects it; this covers a test that failed first.
     */
    @AfterEach
    void stopNode() throws Exception {
        node.stop();
        try (var connection = dataSource.getConnection();
             var delete = connection.prepareStatement("delete from openrouter_accounts where user_id = ?")) {
            delete.setString(1, user);
            delete.executeUpdate();
        }
    }

    @Test
    void canaryKeysAppearNowhereTheServiceWritesOrKeeps() throws Exception {
        user = newUserId();
        String byokKey = "sk-or-v1-canary" + UUID.randomUUID().toString().replace("-", "");
        FakeOpenRouter.registerKey(byokKey, "canary", "5");
        // Rejected upstream. (An upstream that quotes the key back is redacted in the answer, GatewayTest; its
        // bytes stay in the HTTP client's pooled connection buffer until overwritten, so it is not done here.)
        FakeOpenRouter.answerChat("canary/rejected", new FakeOpenRouter.ChatAnswer(401,
                "{\"error\":{\"code\":401,\"message\":\"User not found.\"}}", 0));

        List<Api.Response> answers = new ArrayList<>();
        String apiKey;
        // A client of its own, closed afterwards: the node keeps no connection (nor its buffers) for it.
        try (Api client = node.api().withTimeout(Duration.ofSeconds(30))) {
            var issued = client.post(adminKey(), "/api/v1/credits/admin/api-keys",
                    "{\"user_id\":\"" + user + "\",\"role\":\"user\",\"label\":\"canary\"}");
            assertThat(issued.status()).as(issued.body()).isEqualTo(201);
            apiKey = issued.json().path("key").asString();
            long keyId = issued.json().path("id").asLong();

            answers.add(client.get(apiKey, "/api/v1/credits/balance"));
            answers.add(client.post(apiKey, "/api/v1/credits/openrouter/create-account", "{\"api_key\":\"" + byokKey + "\"}"));
            answers.add(client.get(apiKey, "/api/v1/credits/openrouter/account"));
            String chat = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            answers.add(client.post(apiKey, "/v1/chat/completions", chat.formatted("openai/gpt-4o")));
            answers.add(client.post(apiKey, "/v1/chat/completions", chat.formatted("canary/rejected")));
            answers.add(client.post(apiKey, "/v1/chat/completions", chat.formatted("canary/rejected").replace("}]}", "}],\"stream\":true}")));
            answers.add(client.post(apiKey, "/api/v1/credits/deduct", "{\"user_id\":\"" + user + "\",\"amount\":1e9}"));
            answers.add(client.get(apiKey, "/api/v1/credits/admin/accounts"));
            answers.add(client.post(apiKey, "/api/v1/credits/usage/track", "{\"user_id\": "));
            answers.add(client.get(null, "/api/v1/credits/balance?api_key=" + apiKey));
            answers.add(client.get(null, "/no/such/route?key=" + byokKey));
            answers.add(client.get(apiKey + "x", "/api/v1/credits/balance"));
            answers.add(client.get(null, "/api/v1/credits/balance", Map.of("Authorization", "Basic " + apiKey)));
            answers.add(client.get(null, "/api/v1/credits/balance", Map.of("X-API-Key", apiKey)));
            answers.add(client.post(apiKey, "/api/v1/credits/openrouter/create-account",
                    "{\"api_key\":\"" + byokKey + "-revoked\"}"));
            answers.add(client.delete(apiKey, "/api/v1/credits/openrouter/account"));
            answers.add(client.delete(adminKey(), "/api/v1/credits/admin/api-keys/" + keyId));
            answers.add(client.get(apiKey, "/api/v1/credits/balance"));
        }
        assertThat(answers.get(1).status()).as(answers.get(1).body()).isEqualTo(200);
        assertThat(answers.get(3).status()).as(answers.get(3).body()).isEqualTo(200);
        assertThat(answers.getLast().status()).isEqualTo(401);

        List<String> canaries = List.of(apiKey, byokKey, secretPart(apiKey), secretPart(byokKey));
        List<String> found = new ArrayList<>();
        for (var answer : answers) {
            found.addAll(search("an answer to " + answer.status(), answer.body() + answer.headers().map(), canaries));
        }
        found.addAll(search("metrics", node.api().get(adminKey(), "/actuator/prometheus").body(), canaries));
        found.addAll(search("thread names", jcmd("Thread.print"), canaries));
        found.addAll(databaseRowsContaining(canaries));
        Thread.sleep(UPSTREAM_KEEP_ALIVE.plusSeconds(1).toMillis());
        otherClientsCome();
        Path heapDump = directory.resolve("node.hprof");
        jcmd("GC.heap_dump", heapDump.toString());
        byte[] heap = Files.readAllBytes(heapDump);
        Files.delete(heapDump);
        for (String canary : canaries) {
            for (var charset : List.of(StandardCharsets.ISO_8859_1, StandardCharsets.UTF_16BE, StandardCharsets.UTF_16LE)) {
                int at = indexOf(heap, canary.getBytes(charset));
                if (at >= 0) {
                    found.add("heap dump (" + charset + "): " + redacted(canary) + " in "
                            + new String(heap, Math.max(0, at - 300), 600, StandardCharsets.ISO_8859_1)
                            .replace(canary, "<canary>").replaceAll("[^\\x20-\\x7e]", "."));
                }
            }
        }
        node.stop();
        found.addAll(search("the node's log", Files.readString(directory.resolve("node").resolve("service.out")), canaries));

        assertThat(found).isEmpty();
    }

    private static List<String> search(String where, String text, List<String> canaries) {
        return canaries.stream().filter(text::contains).map(canary -> where + ": " + redacted(canary)).toList();
    }

    private static String redacted(String canary) {
        return canary.substring(0, 6) + "…";
    }

    /**
     * Other clients' requests, as on any live service, each on a connection of its own and longer than any canary
     * request, and with no body the service parses. Tomcat reuses its request processors and socket channels with their read buffers, which hold the
     * bytes of the last request read into them (headers included) until a later request overwrites them; caching
     * none of them (a processor allocated per request) raised the peak RSS under load by 280 MB (RELIABILITY.md).
     * Once they are reused nothing of the canaries is left: the service itself keeps no reference to a key.
     */
    private void otherClientsCome() throws Exception {
        // headers only: nothing the service parses itself, so its own buffers are not the ones reused here
        var padding = Map.of("X-Padding", "x".repeat(2048));
        try (var clients = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            for (int c = 0; c < 8; c++) {
                clients.submit(() -> {
                    for (int i = 0; i < 8; i++) {
                        try (Api other = node.api().withTimeout(Duration.ofSeconds(30))) {
                            other.get(null, "/actuator/health", padding);
                        }
                    }
                    return null;
                });
            }
        }
    }

    /** The part of a key after its recognisable prefix, long enough to identify it. */
    private static String secretPart(String key) {
        return key.substring(key.length() - 24);
    }

    /** Every table of the service's schema, each row as text, searched for each canary. */
    private List<String> databaseRowsContaining(List<String> canaries) throws Exception {
        List<String> found = new ArrayList<>();
        try (var connection = dataSource.getConnection();
             var tables = connection.createStatement().executeQuery(
                     "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'")) {
            while (tables.next()) {
                String table = tables.getString(1);
                for (String canary : canaries) {
                    try (var search = connection.prepareStatement(
                            "select count(*) from \"" + table + "\" t where strpos(t::text, ?) > 0")) {
                        search.setString(1, canary);
                        try (var count = search.executeQuery()) {
                            count.next();
                            if (count.getLong(1) > 0) {
                                found.add("table " + table + ": " + redacted(canary));
                            }
                        }
                    }
                }
            }
        }
        return found;
    }

    private String jcmd(String... command) throws Exception {
        Path java = Path.of(ProcessHandle.current().info().command().orElseThrow());
        var arguments = new ArrayList<>(List.of(java.resolveSibling("jcmd").toString(), Long.toString(node.process().pid())));
        arguments.addAll(List.of(command));
        Process jcmd = new ProcessBuilder(arguments).redirectErrorStream(true).start();
        var output = new ByteArrayOutputStream();
        try (InputStream in = jcmd.getInputStream()) {
            in.transferTo(output);
        }
        assertThat(jcmd.waitFor()).as(output.toString(StandardCharsets.UTF_8)).isZero();
        return output.toString(StandardCharsets.UTF_8);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
