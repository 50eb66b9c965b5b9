package dev.creditmeter.web;

import dev.creditmeter.Api;
import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile and malformed requests against the money-moving admin routes: every one is refused with a
 * 4xx problem+json that says what is wrong, and none of them changes the target's balance or ledger.
 */
class HostileInputTest extends ApiTest {

    private static final String CREDITS = "/api/v1/credits";
    private static final List<String> ROUTES = List.of("/allocate", "/deduct", "/refund");
    private static final String FORTY_DIGITS = "1234567890123456789012345678901234567890";
    private static final String SEVENTY_DIGITS = FORTY_DIGITS + "123456789012345678901234567890";

    @LocalServerPort
    private int serverPort;

    private String user;
    private Snapshot before;

    /** What must not change: the balance figures and the number of ledger rows. */
    private record Snapshot(String balance, String available, String bonus, String used, String transactions) {
    }

    @BeforeEach
    void targetWithAnAccount() {
        user = newUserId();
        assertThat(allocate(user, "10").status()).isEqualTo(200);
        before = snapshot();
    }

    @AfterEach
    void nothingChangedAndTheServerIsFine() {
        assertThat(snapshot()).isEqualTo(before);
        long start = System.nanoTime();
        var balance = api.get(adminKey(), CREDITS + "/balance?user_id=" + user);
        long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
        assertThat(balance.status()).isEqualTo(200);
        assertThat(millis).as("balance answered in %d ms", millis).isLessThan(5_000);
        assertLedgerConsistent();
    }

    static Stream<Arguments> invalidAmounts() {
        List<Arguments> cases = new ArrayList<>();
        Map<String, String> amounts = new java.util.LinkedHashMap<>();
        amounts.put("-1", "must be greater than 0");
        amounts.put("-0.000001", "must be greater than 0");
        amounts.put("0", "must be greater than 0");
        amounts.put("-0", "must be greater than 0");
        amounts.put("\"0\"", "must be greater than 0");
        amounts.put("0.0000004", "must be greater than 0");
        amounts.put("1e-400", "must be greater than 0");
        amounts.put("\"NaN\"", "must be a decimal number of credits");
        amounts.put("\"Infinity\"", "must be a decimal number of credits");
        amounts.put("\"abc\"", "must be a decimal number of credits");
        amounts.put("\"\"", "must be a decimal number of credits");
        amounts.put("1e309", "must be at most 1000000000 credits in magnitude");
        amounts.put("-1e309", "must be at most 1000000000 credits in magnitude");
        amounts.put("1e100000000", "must be at most 1000000000 credits in magnitude");
        amounts.put("1000000000.000001", "must be at most 1000000000 credits in magnitude");
        amounts.put(FORTY_DIGITS, "must be at most 1000000000 credits in magnitude");
        amounts.put("\"" + FORTY_DIGITS + "\"", "must be at most 1000000000 credits in magnitude");
        amounts.put("true", "must be a number");
        amounts.put("[]", "must be a number");
        amounts.put("[1]", "must be a number");
        amounts.put("{}", "must be a number");
        amounts.put("null", "is required");
        for (String route : ROUTES) {
            amounts.forEach((amount, message) -> cases.add(Arguments.of(route, amount, message)));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} amount={1}")
    @MethodSource("invalidAmounts")
    void invalidAmountsAre422NamingTheAmount(String route, String amount, String message) {
        var response = post(route, body("\"" + user + "\"", amount));

        assertRejected(response, 422);
        assertThat(response.json().path("errors").get(0).path("field").asString()).isEqualTo("amount");
        assertThat(response.json().path("errors").get(0).path("message").asString()).isEqualTo(message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    void aMissingAmountIs422(String route) {
        var response = post(route, "{\"user_id\":\"" + user + "\",\"source\":\"s\",\"service\":\"s\",\"reason\":\"r\"}");

        assertRejected(response, 422);
        assertThat(response.json().path("errors").get(0).path("field").asString()).isEqualTo("amount");
        assertThat(response.json().path("errors").get(0).path("message").asString()).isEqualTo("is required");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    void aMissingBodyIs422(String route) {
        var response = api.post(adminKey(), CREDITS + route, "");

        assertRejected(response, 422);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    void aBodyThatIsNotAnObjectIs422(String route) {
        for (String body : List.of("[]", "1", "\"text\"", "null")) {
            var response = post(route, body);
            assertRejected(response, 422);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    void aNumericUserIdIs422NamingIt(String route) {
        var response = post(route, body("5", "1"));

        assertRejected(response, 422);
        assertThat(response.json().path("errors").get(0).path("field").asString()).isEqualTo("user_id");
        assertThat(response.json().path("errors").get(0).path("message").asString()).isEqualTo("must be a string");
    }

    @Test
    void wronglyTypedTextFieldsAre422NamingThem() {
        var service = api.post(adminKey(), CREDITS + "/deduct",
                "{\"user_id\":\"" + user + "\",\"amount\":1,\"service\":123}");
        var source = api.post(adminKey(), CREDITS + "/allocate",
                "{\"user_id\":\"" + user + "\",\"amount\":1,\"source\":true}");
        var reason = api.post(adminKey(), CREDITS + "/refund",
                "{\"user_id\":\"" + user + "\",\"amount\":1,\"reason\":{\"a\":1}}");
        var metadata = api.post(adminKey(), CREDITS + "/refund",
                "{\"user_id\":\"" + user + "\",\"amount\":1,\"reason\":\"r\",\"metadata\":[1,2]}");

        assertRejected(service, 422);
        assertThat(service.json().path("errors").get(0).path("field").asString()).isEqualTo("service");
        assertRejected(source, 422);
        assertThat(source.json().path("errors").get(0).path("field").asString()).isEqualTo("source");
        assertRejected(reason, 422);
        assertThat(reason.json().path("errors").get(0).path("field").asString()).isEqualTo("reason");
        assertRejected(metadata, 422);
        assertThat(metadata.json().path("errors").get(0).path("field").asString()).isEqualTo("metadata");
    }

    static Stream<Arguments> malformedBodies() {
        String valid = "{\"user_id\":\"U\",\"amount\":1,\"source\":\"s\",\"service\":\"s\",\"reason\":\"r\"}";
        List<String> bodies = List.of(
                "{",
                "{\"user_id\":",
                "{\"user_id\":\"U\",\"amount\":NaN,\"source\":\"s\",\"service\":\"s\",\"reason\":\"r\"}",
                "{\"user_id\":\"U\",\"amount\":Infinity,\"source\":\"s\",\"service\":\"s\",\"reason\":\"r\"}",
                "{\"user_id\":\"U\",\"amount\":-Infinity,\"source\":\"s\",\"service\":\"s\",\"reason\":\"r\"}",
                "{\"user_id\":\"U\",\"amount\":+1,\"source\":\"s\",\"service\":\"s\",\"reason\":\"r\"}",
                "{\"user_id\":\"U\",\"amount\":01,\"source\":\"s\",\"service\":\"s\",\"reason\":\"r\"}",
                "{\"user_id\":\"U\",\"amount\":.5,\"source\":\"s\",\"service\":\"s\",\"reason\":\"r\"}",
                "{\"user_id\":\"U\",\"amount\":0x10,\"source\":\"s\",\"service\":\"s\",\"reason\":\"r\"}",
                "{\"user_id\":\"U\",\"amount\":1,}",
                valid + " x",
                valid + "{}",
                valid + "[]",
                valid + "1",
                "/* comment */" + valid,
                "{\"user_id\":\"U\", // comment\n\"amount\":1,\"source\":\"s\",\"service\":\"s\",\"reason\":\"r\"}",
                "{'user_id':'U','amount':1,'source':'s','service':'s','reason':'r'}",
                "{user_id:\"U\",\"amount\":1,\"source\":\"s\",\"service\":\"s\",\"reason\":\"r\"}",
                "{\"user_id\":\"U\u0001\",\"amount\":1,\"source\":\"s\",\"service\":\"s\",\"reason\":\"r\"}",
                "{\"user_id\":\"U\",\"amount\":" + SEVENTY_DIGITS + ",\"source\":\"s\",\"service\":\"s\",\"reason\":\"r\"}");
        List<Arguments> cases = new ArrayList<>();
        for (String route : ROUTES) {
            for (int i = 0; i < bodies.size(); i++) {
                cases.add(Arguments.of(route, i, bodies.get(i)));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} malformed #{1}")
    @MethodSource("malformedBodies")
    void malformedJsonIs400(String route, int index, String body) {
        var response = post(route, body.replace("\"U", "\"" + user));

        assertRejected(response, 400);
        assertThat(response.detail()).startsWith("Malformed JSON");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    void aSeventyDigitAmountIsAClientError(String route) {
        var asString = post(route, body("\"" + user + "\"", "\"" + SEVENTY_DIGITS + "\""));
        var asNumber = post(route, body("\"" + user + "\"", SEVENTY_DIGITS));

        assertRejected(asString, 422);
        assertThat(asString.json().path("errors").get(0).path("field").asString()).isEqualTo("amount");
        assertRejected(asNumber, 400);
        assertThat(asNumber.detail()).startsWith("Malformed JSON: the document exceeds a limit");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    void deepNestingInMetadataIs400(String route) {
        String deep = "[".repeat(10_000) + "]".repeat(10_000);
        String deepObjects = "{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000);
        for (String metadata : List.of(deep, deepObjects)) {
            var response = post(route, "{\"user_id\":\"" + user + "\",\"amount\":1,\"source\":\"s\",\"service\":\"s\","
                    + "\"reason\":\"r\",\"metadata\":{\"x\":" + metadata + "}}");
            assertRejected(response, 400);
            assertThat(response.detail()).startsWith("Malformed JSON: the document exceeds a limit");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    void aWrongContentTypeIs415(String route) {
        var response = api.postBytes(adminKey(), CREDITS + route,
                body("\"" + user + "\"", "1").getBytes(StandardCharsets.UTF_8), "text/plain");

        assertRejected(response, 415);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    void aTenMegabyteBodyIs413(String route) {
        byte[] huge = hugeBody();

        var response = api.postBytes(adminKey(), CREDITS + route, huge, "application/json");

        assertRejected(response, 413);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    void aChunkedBodyBeyondTheCapIs413(String route) throws Exception {
        // No Content-Length: the cap has to be enforced while the body is read.
        byte[] big = new byte[1024 * 1024];
        byte[] head = ("{\"user_id\":\"" + user + "\",\"amount\":1,\"source\":\"s\",\"service\":\"s\",\"reason\":\"r\","
                + "\"metadata\":{\"pad\":\"").getBytes(StandardCharsets.US_ASCII);
        java.util.Arrays.fill(big, (byte) 'a');
        System.arraycopy(head, 0, big, 0, head.length);
        var request = HttpRequest.newBuilder(URI.create(baseUrl() + CREDITS + route))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + adminKey())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)))
                .build();

        var response = send(request);

        assertRejected(response, 413);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    void malformedIdempotencyKeysAre400(String route) {
        for (String key : List.of("", "k".repeat(256), "tab\tkey")) {
            var response = api.post(adminKey(), CREDITS + route, forRoute(route, body("\"" + user + "\"", "1")),
                    Map.of("Idempotency-Key", key));
            assertRejected(response, 400);
            assertThat(response.detail()).isEqualTo("Idempotency-Key must be 1 to 255 printable ASCII characters");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    void nonAsciiIdempotencyKeysAre400(String route) throws IOException {
        // java.net.http replaces non-ASCII header characters with '?', so these go over a plain socket.
        byte[] latin1 = "caf\u00e9-key".getBytes(StandardCharsets.ISO_8859_1);
        byte[] utf8 = "caf\u00e9-key".getBytes(StandardCharsets.UTF_8);
        for (byte[] key : List.of(latin1, utf8)) {
            var response = rawPost(CREDITS + route, key, forRoute(route, body("\"" + user + "\"", "1")));
            assertRejected(response, 400);
            assertThat(response.detail()).isEqualTo("Idempotency-Key must be 1 to 255 printable ASCII characters");
        }
    }

    @Test
    void theLongestAllowedIdempotencyKeyIsAccepted() {
        // The other side of the boundary, on a route that then fails validation: 255 is not the problem.
        var response = api.post(adminKey(), CREDITS + "/refund", body("\"" + user + "\"", "0"),
                Map.of("Idempotency-Key", "k".repeat(255)));

        assertRejected(response, 422);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/allocate", "/deduct", "/refund"})
    void unknownFieldsAreRefused(String route) {
        var response = post(route, "{\"user_id\":\"" + user + "\",\"amount\":1,\"source\":\"s\",\"service\":\"s\","
                + "\"reason\":\"r\",\"balance\":1000000,\"bonus_credits\":999}");

        assertRejected(response, 422);
        assertThat(response.json().path("errors").get(0).path("field").asString()).isEqualTo("balance");
    }

    static Stream<String> routes() {
        return ROUTES.stream();
    }

    /**
     * The cases write one body for all three routes, with the text field of each; a route refuses fields it
     * does not take, so each gets only its own.
     */
    private Api.Response post(String route, String body) {
        return api.post(adminKey(), CREDITS + route, forRoute(route, body));
    }

    private static String forRoute(String route, String body) {
        String own = switch (route) {
            case "/allocate" -> "\"source\":\"s\"";
            case "/deduct" -> "\"service\":\"s\"";
            default -> "\"reason\":\"r\"";
        };
        return body.replace(ALL_TEXT_FIELDS, own);
    }

    private static final String ALL_TEXT_FIELDS = "\"source\":\"s\",\"service\":\"s\",\"reason\":\"r\"";

    /** One body for all three routes; {@link #post} keeps only the route's own text field. */
    private static String body(String userIdJson, String amountJson) {
        return "{\"user_id\":" + userIdJson + ",\"amount\":" + amountJson
                + ",\"source\":\"s\",\"service\":\"s\",\"reason\":\"r\"}";
    }

    private byte[] hugeBody() {
        byte[] huge = new byte[10 * 1024 * 1024];
        java.util.Arrays.fill(huge, (byte) ' ');
        byte[] head = body("\"" + user + "\"", "1").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(head, 0, huge, 0, head.length);
        return huge;
    }

    private Snapshot snapshot() {
        var balance = balanceOf(user);
        var ledger = api.get(adminKey(), CREDITS + "/transactions?limit=1&user_id=" + user);
        return new Snapshot(balance.path("balance").asString(), balance.path("available").asString(),
                balance.path("bonus_credits").asString(), balance.path("free_tier_used").asString(),
                ledger.header("X-Total-Count"));
    }

    private static void assertRejected(Api.Response response, int status) {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.header("Content-Type")).as(response.body()).startsWith("application/problem+json");
        assertThat(response.json().path("status").asInt()).isEqualTo(status);
        assertThat(response.detail()).as(response.body()).isNotBlank();
        assertThat(response.body()).doesNotContain("Exception", "tools.jackson", "at [Source");
    }

    private String baseUrl() {
        return "http://127.0.0.1:" + serverPort;
    }

    /** A POST written byte for byte, with an Idempotency-Key header made of exactly the given bytes. */
    private Api.Response rawPost(String path, byte[] idempotencyKey, String body) throws IOException {
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        var head = new ByteArrayOutputStream();
        head.writeBytes(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + serverPort + "\r\n"
                + "Authorization: Bearer " + adminKey() + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + content.length + "\r\nConnection: close\r\nIdempotency-Key: ")
                .getBytes(StandardCharsets.US_ASCII));
        head.writeBytes(idempotencyKey);
        head.writeBytes("\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        head.writeBytes(content);
        try (var socket = new Socket("127.0.0.1", serverPort)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(head.toByteArray());
            socket.getOutputStream().flush();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int split = answer.indexOf("\r\n\r\n");
            String[] lines = answer.substring(0, split).split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            Map<String, List<String>> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.computeIfAbsent(lines[i].substring(0, colon).strip(), k -> new ArrayList<>())
                        .add(lines[i].substring(colon + 1).strip());
            }
            String responseBody = answer.substring(split + 4);
            if ("chunked".equalsIgnoreCase(headers.getOrDefault("Transfer-Encoding", List.of("")).getFirst())) {
                responseBody = dechunk(responseBody);
            }
            return new Api.Response(status, java.net.http.HttpHeaders.of(headers, (k, v) -> true), responseBody);
        }
    }

    private static String dechunk(String chunked) {
        var out = new StringBuilder();
        int at = 0;
        while (true) {
            int eol = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, eol).strip(), 16);
            if (size == 0) {
                return out.toString();
            }
            out.append(chunked, eol + 2, eol + 2 + size);
            at = eol + 2 + size + 2;
        }
    }

    private Api.Response send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(request, HttpResponse.BodyHandlers.ofString());
        return new Api.Response(response.statusCode(), response.headers(), response.body());
    }
}
