package dev.creditmeter.gateway;

import dev.creditmeter.usage.UsageService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Relays one upstream event stream to the client, event by event (each flushed when complete), and settles
 * the call exactly once:
 * <ul>
 *   <li>when the usage chunk arrives (a Responses API stream: its {@code response.completed} event), before it is
 *   forwarded, so that its {@code usage.cost} can say what the caller was charged (not the platform's upstream
 *   cost); a chat stream's usage chunk is forwarded only when the client asked for it
 *   ({@code stream_options.include_usage}), the gateway always asks upstream for it;</li>
 *   <li>otherwise when the stream ends, by the content seen (estimated, see {@link ChatGateway#settleStream}).</li>
 * </ul>
 * A stream that ends incomplete (no {@code [DONE]}, no final Responses API event), or whose upstream read fails,
 * ends with an error event in OpenAI's shape ({@code data: {"error": {...}}}), which the OpenAI SDKs raise as an
 * error: a truncated answer never looks like a complete one. Nothing after the first byte can become an HTTP error status.
 */
final class StreamRelay {

    private static final Logger log = LoggerFactory.getLogger(StreamRelay.class);

    private final JsonMapper json;
    private final boolean forwardUsage;
    private final Function<StreamTally, UsageService.Charge> settle;
    private final StreamTally tally;
    private boolean settled;

    /**
     * @param forwardUsage whether the client asked for the usage chunk
     * @param settle       charges the call from what the tally saw; called at most once
     */
    StreamRelay(JsonMapper json, boolean forwardUsage, Function<StreamTally, UsageService.Charge> settle) {
        this.json = json;
        this.forwardUsage = forwardUsage;
        this.settle = settle;
        this.tally = new StreamTally(json);
    }

    /**
     * Relays until upstream ends or the client goes away; settles in every case. Never throws. While upstream is
     * silent (a slow first token, a long reasoning step) a heartbeat writes an SSE comment to the client every
     * {@link #HEARTBEAT}: a client that went away makes that write fail, and then upstream is closed at once
     * (which cancels the call there) and the call settled by what was relayed, instead of when upstream's next
     * event would have come. Comments are part of SSE; clients ignore them, as they do OpenRouter's own.
     */
    void run(InputStream events, OutputStream client, String userId) {
        String failure = null;
        var heartbeat = new Heartbeat(client, events);
        Thread.ofVirtual().name("gateway-heartbeat").start(heartbeat);
        try (var upstream = new BufferedReader(new InputStreamReader(events, StandardCharsets.UTF_8))) {
            var event = new ArrayList<String>();
            while (true) {
                String line;
                try {
                    line = upstream.readLine();
                } catch (IOException e) {
                    if (!heartbeat.clientGone()) {
                        failure = "The upstream stream failed before it completed";
                        log.warn("Gateway stream for {}: reading upstream failed ({})", userId, e.getClass().getSimpleName());
                    }
                    break;
                }
                if (line == null) {
                    break;
                }
                if (!line.isEmpty()) {
                    event.add(line);
                    continue;
                }
                String relayed = relay(event);
                event.clear();
                if (relayed != null && !heartbeat.send(relayed)) {
                    break;
                }
            }
            if (!heartbeat.clientGone() && failure == null && !tally.done()) {
                failure = "The upstream stream ended before it completed";
                log.warn("Gateway stream for {}: upstream ended before it completed", userId);
            }
        } catch (IOException closing) {
            // closing upstream failed: nothing left to read anyway
        } finally {
            heartbeat.stop();
            settleOnce();
        }
        if (heartbeat.clientGone()) {
            log.info("Gateway stream for {}: the client went away; upstream closed, settled by what was relayed", userId);
        } else if (failure != null) {
            heartbeat.send(errorEvent(failure));
        }
    }

    static final Duration HEARTBEAT = Duration.ofMillis(500);

    /**
     * The one writer to the client (the relay's events and its own comments, never at the same time), and the
     * watch on it: after {@link #HEARTBEAT} without a write it writes {@code : keep-alive}; once a write fails it
     * closes upstream, which ends the relay's blocked read.
     */
    private static final class Heartbeat implements Runnable {
        private static final byte[] COMMENT = ": keep-alive\n\n".getBytes(StandardCharsets.UTF_8);

        private final OutputStream client;
        private final InputStream upstream;
        private final ReentrantLock lock = new ReentrantLock(); // not synchronized: a virtual thread blocks in it on Java 21
        private long lastWrite = System.nanoTime();
        private boolean stopped;
        private volatile boolean clientGone;

        Heartbeat(OutputStream client, InputStream upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        /** Writes and flushes; false (and upstream closed) when the client is gone. */
        boolean send(String text) {
            return write(text.getBytes(StandardCharsets.UTF_8), false);
        }

        private boolean write(byte[] bytes, boolean comment) {
            lock.lock();
            try {
                if (clientGone || (comment && stopped)) {
                    return false; // after stop() the response may be finished: no comment may reach it
                }
                client.write(bytes);
                client.flush();
                lastWrite = System.nanoTime();
                return true;
            } catch (IOException e) {
                clientGone = true;
            } finally {
                lock.unlock();
            }
            try {
                upstream.close();
            } catch (IOException ignored) {
                // closed either way
            }
            return false;
        }

        boolean clientGone() {
            return clientGone;
        }

        void stop() {
            lock.lock();
            try {
                stopped = true;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void run() {
            while (!clientGone) {
                lock.lock();
                try {
                    if (stopped) {
                        return;
                    }
                } finally {
                    lock.unlock();
                }
                try {
                    Thread.sleep(HEARTBEAT.dividedBy(5));
                } catch (InterruptedException e) {
                    return;
                }
                boolean silent;
                lock.lock();
                try {
                    silent = System.nanoTime() - lastWrite >= HEARTBEAT.toNanos();
                } finally {
                    lock.unlock();
                }
                if (silent) {
                    write(COMMENT, true);
                }
            }
        }
    }

    /** The text to send for one complete upstream event, or null to send nothing. */
    private String relay(List<String> event) {
        var out = new StringBuilder();
        for (String line : event) {
            tally.line(line);
            JsonNode usage = tally.usage();
            if (usage != null && !settled && line.startsWith("data:")) {
                // the usage chunk: charge now, then say so in it (or leave it out)
                UsageService.Charge charge = settleOnce();
                String rewritten = usageChunk(line, charge);
                if (rewritten != null) {
                    out.append(rewritten).append('\n');
                }
                continue;
            }
            out.append(line).append('\n');
        }
        return out.isEmpty() ? null : out.append('\n').toString();
    }

    /**
     * The usage chunk as the client gets it: its {@code usage.cost} is the caller's charge; without
     * {@code include_usage} the usage is removed, and the chunk dropped when nothing else is in it.
     */
    private String usageChunk(String line, UsageService.Charge charge) {
        ObjectNode chunk;
        try {
            chunk = (ObjectNode) json.readTree(line.substring(5).strip());
        } catch (RuntimeException e) {
            return line;
        }
        if (!forwardUsage) {
            chunk.remove("usage");
            return chunk.path("choices").isEmpty() ? null : "data: " + json.writeValueAsString(chunk);
        }
        JsonNode reported = chunk.has("usage") ? chunk.path("usage") : chunk.path("response").path("usage");
        if (reported instanceof ObjectNode usage) {
            // upstream's cost is the platform's price, never the caller's: replaced, or left out when unknown
            if (charge != null) {
                usage.put("cost", charge.charged().toCredits());
            } else {
                usage.remove("cost");
            }
        }
        return "data: " + json.writeValueAsString(chunk);
    }

    private UsageService.Charge settleOnce() {
        if (settled) {
            return null;
        }
        settled = true;
        try {
            return settle.apply(tally);
        } catch (RuntimeException e) {
            // The hold stays and the sweeper releases it: nothing is charged twice.
            log.error("Settling a gateway stream failed", e);
            return null;
        }
    }

    private String errorEvent(String message) {
        return "data: " + json.writeValueAsString(OpenAiErrors.body(HttpStatus.BAD_GATEWAY, message, "stream_interrupted", null))
                + "\n\n";
    }
}
