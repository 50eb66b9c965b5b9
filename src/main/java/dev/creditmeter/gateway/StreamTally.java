package dev.creditmeter.gateway;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a relayed event stream said, read line by line as it passes: the completion's id, the characters of
 * content deltas (the estimate when the stream is cut short), the usage chunk and whether {@code [DONE]} came.
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
        if (id == null && chunk.path("id").isString()) {
            id = chunk.path("id").asString();
        }
        for (JsonNode choice : chunk.path("choices")) {
            contentCharacters += choice.path("delta").path("content").asString("").length();
        }
        JsonNode reported = chunk.path("usage");
        if (reported.isObject() && (reported.has("prompt_tokens") || reported.has("completion_tokens"))) {
            usage = reported;
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
