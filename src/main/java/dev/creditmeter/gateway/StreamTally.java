package dev.creditmeter.gateway;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a relayed event stream said, read line by line as it passes: the completion's id, the characters of
 * content deltas (the estimate when the stream is cut short), the usage chunk and whether the stream completed
 * ({@code [DONE]}, or a Responses API stream's final event).
 * Lines that are not JSON data (comments such as {@code : OPENROUTER PROCESSING}) are ignored.
 */
final class StreamTally {

    private final JsonMapper json;
    private String id;
    private long contentCharacters;
    private JsonNode usage;
    private boolean done;

    StreamTally(JsonMapper json) {
        this.json = json;
    }

    void line(String line) {
        if (!line.startsWith("data:")) {
            return;
        }
        String data = line.substring(5).strip();
        if (data.equals("[DONE]")) {
            done = true;
            return;
        }
        JsonNode chunk;
        try {
            chunk = json.readTree(data);
        } catch (RuntimeException e) {
            return;
        }
        if (chunk.path("type").isString()) {
            responsesEvent(chunk);
            return;
        }
        if (id == null && chunk.path("id").isString()) {
            id = chunk.path("id").asString();
        }
        for (JsonNode choice : chunk.path("choices")) {
            contentCharacters += choice.path("delta").path("content").asString("").length()
                    + choice.path("text").asString("").length(); // a text completion's chunk
        }
        JsonNode reported = chunk.path("usage");
        if (reported.isObject() && (reported.has("prompt_tokens") || reported.has("completion_tokens"))) {
            usage = reported;
        }
    }

    /**
     * A Responses API event: text arrives as {@code response.output_text.delta}; the stream is complete with
     * {@code response.completed} (which carries the usage), {@code response.incomplete} or {@code response.failed}.
     */
    private void responsesEvent(JsonNode event) {
        JsonNode response = event.path("response");
        if (id == null && response.path("id").isString()) {
            id = response.path("id").asString();
        }
        switch (event.path("type").asString()) {
            case "response.output_text.delta" -> contentCharacters += event.path("delta").asString("").length();
            case "response.completed", "response.incomplete", "response.failed" -> {
                done = true;
                if (response.path("usage").isObject()) {
                    usage = response.path("usage");
                }
            }
            default -> {
                // other events carry nothing to meter
            }
        }
    }

    String id() {
        return id;
    }

    long contentCharacters() {
        return contentCharacters;
    }

    /** The usage chunk, or null when none came. */
    JsonNode usage() {
        return usage;
    }

    boolean done() {
        return done;
    }
}
