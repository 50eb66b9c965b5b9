package dev.creditmeter;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A small HTTP client for the running service: real requests over loopback, JSON answers. */
public final class Api implements AutoCloseable {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final Duration timeout;

    Api(int port) {
        this("http://127.0.0.1:" + port, Duration.ofSeconds(60));
    }

    private Api(String base, Duration timeout) {
        this.base = base;
        this.timeout = timeout;
    }

    /** Closes this client's connections. */
    @Override
    public void close() {
        client.close();
    }

    /** The same service, with requests that give up after {@code timeout} (a client's view of a frozen node). */
    public Api withTimeout(Duration timeout) {
        return new Api(base, timeout);
    }

    public record Response(int status, HttpHeaders headers, String body) {
        public JsonNode json() {
            return JSON.readTree(body);
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        public String detail() {
            return json().path("detail").asString();
        }
    }

    public Response get(String token, String path) {
        return get(token, path, Map.of());
    }

    public Response get(String token, String path, Map<String, String> headers) {
        return send(token, HttpRequest.newBuilder(URI.create(base + path)).GET(), headers);
    }

    public Response post(String token, String path, String body) {
        return post(token, path, body, Map.of());
    }

    public Response post(String token, String path, String body, Map<String, String> headers) {
        var builder = HttpRequest.newBuilder(URI.create(base + path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        var all = new java.util.HashMap<>(headers);
        all.putIfAbsent("Content-Type", "application/json");
        return send(token, builder, all);
    }

    public Response put(String token, String path, String body) {
        var builder = HttpRequest.newBuilder(URI.create(base + path)).PUT(HttpRequest.BodyPublishers.ofString(body));
        return send(token, builder, Map.of("Content-Type", "application/json"));
    }

    public Response patch(String token, String path, String body) {
        var builder = HttpRequest.newBuilder(URI.create(base + path))
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body));
        return send(token, builder, Map.of("Content-Type", "application/json"));
    }

    public Response postBytes(String token, String path, byte[] body, String contentType) {
        var builder = HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        return send(token, builder, Map.of("Content-Type", contentType));
    }

    public Response delete(String token, String path) {
        return send(token, HttpRequest.newBuilder(URI.create(base + path)).DELETE(), Map.of());
    }

    private Response send(String token, HttpRequest.Builder builder, Map<String, String> headers) {
        builder.timeout(timeout);
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        headers.forEach(builder::header);
        try {
            HttpResponse<String> response = client.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
