package dev.creditmeter.gateway;

import tools.jackson.databind.JsonNode;

/**
 * The OpenAI-compatible routes the gateway meters, each forwarded to OpenRouter's route of the same name, and
 * what differs between them for metering: what the request is billed for as input (for the hold), how many
 * output tokens it may cause, where an answer carries its text (the estimate when no usage comes back), and
 * which field names its usage has ({@code prompt_tokens}/{@code completion_tokens}, or the Responses API's
 * {@code input_tokens}/{@code output_tokens}).
 */
enum Endpoint {

    CHAT("/chat/completions", "messages"),
    /** The legacy text completions: a prompt instead of messages. */
    COMPLETIONS("/completions", "prompt"),
    EMBEDDINGS("/embeddings", "input"),
    RESPONSES("/responses", "input");

    /** OpenRouter's path, below its base URL. */
    final String path;
    /** The request field that must be present (400 otherwise). */
    final String requiredField;

    Endpoint(String path, String requiredField) {
        this.path = path;
        this.requiredField = requiredField;
    }

    /**
     * The characters of everything a request is billed for as input. Chat: the messages' text (a string, or the
     * text of each part), their tool calls' names and arguments, and the JSON of the tool and function
     * definitions and of the response format (a 40,000-character tool definition holds as much as the same text
     * in a message). Completions and embeddings: each prompt or input text (a token id counts as 4 characters).
     * Responses: the input text or items, the instructions, the tools and the text format's schema.
     */
    long inputCharacters(JsonNode request) {
        return switch (this) {
            case CHAT -> messagesCharacters(request.path("messages"))
                    + json(request, "tools") + json(request, "functions") + json(request, "response_format");
            case COMPLETIONS -> textsCharacters(request.path("prompt"));
            case EMBEDDINGS -> textsCharacters(request.path("input"));
            case RESPONSES -> messagesCharacters(request.path("input")) + text(request.path("input"))
                    + text(request.path("instructions")) + json(request, "tools") + json(request.path("text"), "format");
        };
    }

    /**
     * Whether upstream reports usage only when asked: chat and text completions take {@code usage.include} (the
     * cost) and, streaming, {@code stream_options.include_usage} (the usage chunk); embeddings and Responses API
     * answers always carry their usage.
     */
    boolean usageOnRequest() {
        return this == CHAT || this == COMPLETIONS;
    }

    /** The output tokens a request may cause: its own limit, else {@code fallback}; none for embeddings. */
    long outputTokens(JsonNode request, long fallback) {
        JsonNode max = switch (this) {
            case CHAT -> request.has("max_tokens") ? request.path("max_tokens") : request.path("max_completion_tokens");
            case COMPLETIONS -> request.path("max_tokens");
            case EMBEDDINGS -> null;
            case RESPONSES -> request.path("max_output_tokens");
        };
        if (max == null) {
            return 0;
        }
        return max.canConvertToLong() && max.asLong() > 0 ? max.asLong() : fallback;
    }

    /** The characters of the text in an answer (chat or completion choices, or the Responses API's output items). */
    long outputCharacters(JsonNode answer) {
        long chars = 0;
        for (JsonNode choice : answer.path("choices")) {
            chars += choice.path("message").path("content").asString("").length() + choice.path("text").asString("").length();
        }
        for (JsonNode item : answer.path("output")) {
            for (JsonNode part : item.path("content")) {
                chars += part.path("text").asString("").length();
            }
        }
        return chars;
    }

    /** Input tokens of a usage object, in either naming; null when it has none. */
    static Long inputTokens(JsonNode usage) {
        JsonNode tokens = usage.has("prompt_tokens") ? usage.path("prompt_tokens") : usage.path("input_tokens");
        return tokens.canConvertToLong() ? tokens.asLong() : null;
    }

    /** Output tokens of a usage object, in either naming; null when it has none. */
    static Long outputTokens(JsonNode usage) {
        JsonNode tokens = usage.has("completion_tokens") ? usage.path("completion_tokens") : usage.path("output_tokens");
        return tokens.canConvertToLong() ? tokens.asLong() : null;
    }

    private static long messagesCharacters(JsonNode messages) {
        long chars = 0;
        for (JsonNode message : messages) {
            JsonNode content = message.path("content");
            if (content.isString()) {
                chars += content.asString().length();
            } else if (content.isArray()) {
                for (JsonNode part : content) {
                    chars += part.path("text").asString("").length();
                }
            }
            for (JsonNode call : message.path("tool_calls")) {
                chars += call.path("function").path("name").asString("").length();
                chars += call.path("function").path("arguments").asString("").length();
            }
            chars += message.path("arguments").asString("").length(); // a Responses API function call item
            chars += message.path("output").asString("").length(); // and its output
        }
        return chars;
    }

    private static long textsCharacters(JsonNode input) {
        if (input.isString()) {
            return input.asString().length();
        }
        long chars = 0;
        for (JsonNode item : input) {
            chars += item.isNumber() ? 4 : item.isArray() ? 4L * item.size() : item.asString("").length();
        }
        return chars;
    }

    private static long text(JsonNode node) {
        return node.isString() ? node.asString().length() : 0;
    }

    private static long json(JsonNode request, String field) {
        JsonNode node = request.path(field);
        return node.isContainer() ? node.toString().length() : 0;
    }
}
