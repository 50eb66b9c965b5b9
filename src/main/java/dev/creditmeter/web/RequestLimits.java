package dev.creditmeter.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;

/**
 * Caps request bodies at 64 KiB (2 MiB for batch and LiteLLM ingestion and for the gateway's {@code /v1} routes,
 * which carry whole conversations): a declared
 * larger body is refused before it is read, and a chunked one fails as soon as it passes the cap.
 * Runs before authentication so that nothing parses a huge body.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1) // inside gateway.OpenAiErrors, which translates its 413 on /v1
class RequestLimits extends OncePerRequestFilter {

    static final int MAX_BODY_BYTES = 64 * 1024;
    static final int MAX_BATCH_BODY_BYTES = 2 * 1024 * 1024;
    /** Ingestion routes: up to 1,000 events, or LiteLLM's logging payloads with their messages. */
    private static final java.util.Set<String> BATCH_PATHS =
            java.util.Set.of("/api/v1/credits/usage/events", "/api/v1/credits/integrations/litellm");

    private final Problems problems;

    RequestLimits(Problems problems) {
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = request.getRequestURI();
        int limit = BATCH_PATHS.contains(path) || path.startsWith("/v1/") ? MAX_BATCH_BODY_BYTES : MAX_BODY_BYTES;
        if (request.getContentLengthLong() > limit) {
            problems.write(response, HttpStatus.CONTENT_TOO_LARGE, BodyTooLargeException.message(limit));
            return;
        }
        chain.doFilter(new LimitedRequest(request, limit), response);
    }

    static final class BodyTooLargeException extends IOException {
        BodyTooLargeException(int limit) {
            super(message(limit));
        }

        static String message(int limit) {
            return "Request body exceeds " + limit + " bytes";
        }
    }

    private static final class LimitedRequest extends HttpServletRequestWrapper {
        private final int limit;
        private ServletInputStream limited;

        LimitedRequest(HttpServletRequest request, int limit) {
            super(request);
            this.limit = limit;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (limited == null) {
                limited = new LimitedInputStream(super.getInputStream(), limit);
            }
            return limited;
        }
    }

    private static final class LimitedInputStream extends ServletInputStream {
        private final ServletInputStream in;
        private final int limit;
        private long count;

        LimitedInputStream(ServletInputStream in, int limit) {
            this.in = in;
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) throws BodyTooLargeException {
            count += n;
            if (count > limit) {
                throw new BodyTooLargeException(limit);
            }
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
