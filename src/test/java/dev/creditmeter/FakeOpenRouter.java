package dev.creditmeter;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A stand-in for OpenRouter's API on a local port, shared by every test (ApiTest points
 * {@code creditmeter.openrouter.base-url} at it). It insists on the platform key and answers
 * {@code GET /api/v1/models} with whatever a test set, by default a list shaped like OpenRouter's.
 */
public final class FakeOpenRouter {

    /** The platform key the service is configured with: a canary that must never reach a log. */
    public static final String PLATFORM_KEY = "sk-or-v1-platformcanary" + UUID.randomUUID().toString().replace("-", "");

    /** OpenRouter's shape, trimmed: prices are USD per token as decimal strings; the router has none (-1). */
    public static final String REALISTIC_MODELS = """
            {"data": [
              {"id": "openai/gpt-4o", "canonical_slug": "openai/gpt-4o", "name": "OpenAI: GPT-4o", "created": 1715367049,
               "context_length": 128000,
               "architecture": {"modality": "text+image->text", "input_modalities": ["text", "image"],
                                "output_modalities": ["text"], "tokenizer": "GPT", "instruct_type": null},
               "pricing": {"prompt": "0.0000025", "completion": "0.00001", "request": "0", "image": "0.003613",
                           "web_search": "0", "internal_reasoning": "0", "input_cache_read": "0.00000125"},
               "top_provider": {"context_length": 128000, "max_completion_tokens": 16384, "is_moderated": true},
               "supported_parameters": ["max_tokens", "temperature", "tools"]},
              {"id": "openai/gpt-4o-mini", "name": "OpenAI: GPT-4o-mini", "context_length": 128000,
               "pricing": {"prompt": "0.00000015", "completion": "0.0000006", "request": "0", "image": "0.000217"}},
              {"id": "meta-llama/llama-3.1-8b-instruct:free", "name": "Meta: Llama 3.1 8B Instruct (free)",
               "context_length": 131072, "pricing": {"prompt": "0", "completion": "0", "request": "0", "image": "0"}},
              {"id": "openrouter/auto", "name": "Auto Router", "context_length": 2000000,
               "pricing": {"prompt": "-1", "completion": "-1"}},
              {"id": "broken/model-without-completion-price", "name": "Broken", "pricing": {"prompt": "0.000001"}}
            ]}
            """;

    private static final HttpServer SERVER = start();
    private static final List<String> AUTHORIZATIONS = new CopyOnWriteArrayList<>();
    private static volatile int status = 200;
    private static volatile String body = REALISTIC_MODELS;

    private FakeOpenRouter() {
    }

    /** What {@code creditmeter.openrouter.base-url} is set to. */
    public static String baseUrl() {
        return "http://127.0.0.1:" + SERVER.getAddress().getPort() + "/api/v1";
    }

    /** The next answers to {@code GET /models}, until changed. */
    public static void answerModels(int status, String body) {
        FakeOpenRouter.status = status;
        FakeOpenRouter.body = body;
    }

    /** Every Authorization header received so far, oldest first. */
    public static List<String> authorizations() {
        return List.copyOf(AUTHORIZATIONS);
    }

    private static HttpServer start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/api/v1/models", FakeOpenRouter::models);
            server.createContext("/api/v1/key", FakeOpenRouter::key);
            server.createContext("/api/v1/chat/completions", FakeOpenRouter::chat);
            // the other metered routes answer the same way: scripted per model (answerChat), requests recorded
            server.createContext("/api/v1/completions", FakeOpenRouter::chat);
            server.createContext("/api/v1/embeddings", FakeOpenRouter::chat);
            server.createContext("/api/v1/responses", FakeOpenRouter::chat);
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void models(HttpExchange exchange) throws IOException {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        AUTHORIZATIONS.add(String.valueOf(authorization));
        if (!"GET".equals(exchange.getRequestMethod())) {
            reply(exchange, 405, "{\"error\":{\"code\":405,\"message\":\"Method not allowed\"}}");
        } else if (!("Bearer " + PLATFORM_KEY).equals(authorization)) {
            reply(exchange, 401, "{\"error\":{\"code\":401,\"message\":\"No auth credentials found\"}}");
        } else {
            reply(exchange, status, body);
        }
    }

    /** A scripted answer to {@code GET /key}. */
    public record Answer(int status, String body, String retryAfter) {
    }

    private static final Map<String, String> KEYS = new ConcurrentHashMap<>();
    private static final Map<String, Queue<Answer>> NEXT_KEY_ANSWERS = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> KEY_REQUESTS = new ConcurrentHashMap<>();

    /** From now on {@code GET /key} with this key answers 200 with this label and limit_remaining (JSON). */
    public static void registerKey(String key, String label, String limitRemaining) {
        KEYS.put(key, "{\"data\":{\"label\":\"" + label + "\",\"usage\":0.25,\"limit\":10,\"limit_remaining\":"
                + limitRemaining + ",\"is_free_tier\":false,\"rate_limit\":{\"requests\":10,\"interval\":\"10s\"}}}");
    }

    /** The next answers for this key, before the registered one. */
    public static void answerKeyNext(String key, Answer... answers) {
        NEXT_KEY_ANSWERS.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).addAll(List.of(answers));
    }

    public static int keyRequests(String key) {
        return KEY_REQUESTS.computeIfAbsent(key, k -> new AtomicInteger()).get();
    }

    private static void key(HttpExchange exchange) throws IOException {
        String authorization = String.valueOf(exchange.getRequestHeaders().getFirst("Authorization"));
        String key = authorization.startsWith("Bearer ") ? authorization.substring(7) : "";
        KEY_REQUESTS.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        Answer next = NEXT_KEY_ANSWERS.getOrDefault(key, new ConcurrentLinkedQueue<>()).poll();
        if (next != null) {
            if (next.retryAfter() != null) {
                exchange.getResponseHeaders().add("Retry-After", next.retryAfter());
            }
            reply(exchange, next.status(), next.body());
        } else if (KEYS.containsKey(key)) {
            reply(exchange, 200, KEYS.get(key));
        } else {
            reply(exchange, 401, "{\"error\":{\"code\":401,\"message\":\"User not found.\"}}");
        }
    }

    /**
     * A scripted answer to {@code POST /chat/completions} for one model, after {@code delayMillis}, with a
     * {@code Retry-After} header when {@code retryAfter} is not null.
     */
    public record ChatAnswer(int status, String body, long delayMillis, String retryAfter) {
        public ChatAnswer(int status, String body, long delayMillis) {
            this(status, body, delayMillis, null);
        }
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A JSON text parsed, for comparing what the gateway passed on with what upstream said. */
    public static JsonNode json(String text) {
        return JSON.readTree(text);
    }

    /** A request to a metered route as received: its bearer key and its body, and the path it went to. */
    public record ChatRequest(String key, String body, String path) {
    }

    private static final Map<String, ChatAnswer> CHAT_ANSWERS = new ConcurrentHashMap<>();
    private static final List<ChatRequest> CHAT_REQUESTS = new CopyOnWriteArrayList<>();

    /** An OpenAI-shaped completion with OpenRouter's usage (cost in credits, a JSON number). */
    public static String completion(String model, long promptTokens, long completionTokens, String cost) {
        return "{\"id\":\"gen-" + UUID.randomUUID() + "\",\"object\":\"chat.completion\",\"model\":\"" + model
                + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello!\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":" + promptTokens + ",\"completion_tokens\":"
                + completionTokens + ",\"total_tokens\":" + (promptTokens + completionTokens)
                + (cost == null ? "" : ",\"cost\":" + cost) + "}}";
    }

    /** Server-sent events for these content deltas, then (when cost is not null) a usage chunk, then [DONE] when finished. */
    public static String events(String model, List<String> deltas, String cost, boolean finished) {
        var sse = new StringBuilder(": OPENROUTER PROCESSING\n\n");
        for (String delta : deltas) {
            sse.append("data: {\"id\":\"gen-s\",\"model\":\"").append(model)
                    .append("\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"").append(delta).append("\"}}]}\n\n");
        }
        if (cost != null) {
            sse.append("data: {\"id\":\"gen-s\",\"model\":\"").append(model).append("\",\"choices\":[],\"usage\":")
                    .append("{\"prompt_tokens\":12,\"completion_tokens\":7,\"total_tokens\":19,\"cost\":").append(cost).append("}}\n\n");
        }
        if (finished) {
            sse.append("data: [DONE]\n\n");
        }
        return sse.toString();
    }

    private static final Map<String, List<String>> PACED = new ConcurrentHashMap<>();
    private static final Map<String, List<Long>> PACED_SENT = new ConcurrentHashMap<>();
    private static volatile long paceMillis;

    /**
     * From now on a chat request for this model is answered as a live stream: each of these SSE events
     * is written and flushed on its own, {@code gapMillis} apart, and the time each left is recorded.
     */
    public static void answerChatPaced(String model, List<String> events, long gapMillis) {
        PACED.put(model, events);
        paceMillis = gapMillis;
    }

    /** {@link System#nanoTime()} when each paced event of the latest stream for this model was flushed. */
    public static List<Long> pacedSentAt(String model) {
        return PACED_SENT.getOrDefault(model, List.of());
    }

    /** From now on a chat request for this model (with a known key) gets this answer. */
    public static void answerChat(String model, ChatAnswer answer) {
        CHAT_ANSWERS.put(model, answer);
    }

    /** The chat requests received for this model, oldest first. */
    public static List<ChatRequest> chatRequests(String model) {
        return CHAT_REQUESTS.stream().filter(r -> r.body().contains("\"" + model + "\"")).toList();
    }

    private static void chat(HttpExchange exchange) throws IOException {
        String authorization = String.valueOf(exchange.getRequestHeaders().getFirst("Authorization"));
        String key = authorization.startsWith("Bearer ") ? authorization.substring(7) : "";
        String request = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        CHAT_REQUESTS.add(new ChatRequest(key, request, exchange.getRequestURI().getPath()));
        if (!"POST".equals(exchange.getRequestMethod())) {
            reply(exchange, 405, "{\"error\":{\"code\":405,\"message\":\"Method not allowed\"}}");
            return;
        }
        if (!PLATFORM_KEY.equals(key) && !KEYS.containsKey(key)) {
            reply(exchange, 401, "{\"error\":{\"code\":401,\"message\":\"No auth credentials found\"}}");
            return;
        }
        var paced = PACED.keySet().stream().filter(m -> request.contains("\"" + m + "\"")).findFirst();
        if (paced.isPresent()) {
            List<Long> sent = new CopyOnWriteArrayList<>();
            PACED_SENT.put(paced.get(), sent);
            exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0); // chunked
            var out = exchange.getResponseBody();
            for (String event : PACED.get(paced.get())) {
                out.write(event.getBytes(StandardCharsets.UTF_8));
                out.flush();
                sent.add(System.nanoTime());
                try {
                    Thread.sleep(paceMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.close();
            return;
        }
        var model = CHAT_ANSWERS.keySet().stream().filter(m -> request.contains("\"" + m + "\"")).findFirst();
        ChatAnswer answer = model.map(CHAT_ANSWERS::get)
                .orElse(new ChatAnswer(200, completion("openai/gpt-4o", 10, 5, "0.001"), 0));
        if (answer.delayMillis() > 0) {
            try {
                Thread.sleep(answer.delayMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (answer.retryAfter() != null) {
            exchange.getResponseHeaders().add("Retry-After", answer.retryAfter());
        }
        reply(exchange, answer.status(), answer.body());
    }

    private static void reply(HttpExchange exchange, int status, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type",
                text.startsWith("data:") || text.startsWith(":") ? "text/event-stream" : "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }
}
