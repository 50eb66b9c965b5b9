package dev.creditmeter.gateway;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every error on {@code /v1/**} in OpenAI's shape, {@code {"error": {"message", "type", "code", "param"}}} with a
 * string {@code code}, because that is what the OpenAI SDKs read: a problem+json body there shows up as
 * "(no body)". The gateway's own refusals are written in this shape directly ({@link #body}); everything else
 * (401 and 403 from the security filters, 404, 405, 413, 415, the container's error page, a database outage) is
 * written as problem+json by the service's shared error handling and translated here: a response on a
 * {@code /v1} path whose content type becomes problem+json is buffered and rewritten, keeping its status and
 * headers. Other responses, streams included, pass through untouched.
 */
@Configuration(proxyBeanMethods = false)
class OpenAiErrors {

    private static final String GATEWAY_PREFIX = "/v1/";

    /** The OpenAI error body for a status: the {@code type} and {@code code} the SDKs expect for it. */
    static Map<String, Object> body(HttpStatus status, String message, String code, String param) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", type(status));
        error.put("code", code != null ? code : code(status));
        error.put("param", param);
        return Map.of("error", error);
    }

    static String type(HttpStatus status) {
        return switch (status) {
            case UNAUTHORIZED -> "authentication_error";
            case PAYMENT_REQUIRED -> "insufficient_credits";
            case FORBIDDEN -> "permission_error";
            case TOO_MANY_REQUESTS -> "rate_limit_exceeded";
            case BAD_GATEWAY -> "upstream_error";
            case SERVICE_UNAVAILABLE -> "service_unavailable";
            default -> status.is5xxServerError() ? "server_error" : "invalid_request_error";
        };
    }

    static String code(HttpStatus status) {
        return switch (status) {
            case UNAUTHORIZED -> "invalid_api_key";
            case PAYMENT_REQUIRED -> "insufficient_credits";
            case FORBIDDEN -> "permission_denied";
            case NOT_FOUND -> "not_found";
            case METHOD_NOT_ALLOWED -> "method_not_allowed";
            case CONTENT_TOO_LARGE -> "request_too_large";
            case UNSUPPORTED_MEDIA_TYPE -> "unsupported_media_type";
            case UNPROCESSABLE_CONTENT -> "invalid_value";
            case TOO_MANY_REQUESTS -> "rate_limit_exceeded";
            case BAD_GATEWAY -> "upstream_error";
            case SERVICE_UNAVAILABLE -> "service_unavailable";
            default -> status.is5xxServerError() ? "internal_error" : "invalid_request";
        };
    }

    /**
     * Outermost on every request and on the container's error dispatch, so that it also sees what the
     * security filters, the request limits and the error page write.
     */
    @Bean
    FilterRegistrationBean<Translator> openAiErrorTranslator(JsonMapper json) {
        var registration = new FilterRegistrationBean<>(new Translator(json));
        registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ERROR);
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    static final class Translator extends HttpFilter {

        private final JsonMapper json;

        Translator(JsonMapper json) {
            this.json = json;
        }

        @Override
        protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws IOException, ServletException {
            String path = request.getDispatcherType() == DispatcherType.ERROR
                    && request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI) instanceof String original
                    ? original : request.getRequestURI();
            if (!path.startsWith(GATEWAY_PREFIX)) {
                chain.doFilter(request, response);
                return;
            }
            var translating = new TranslatingResponse(response);
            try {
                chain.doFilter(request, translating);
            } finally {
                translating.finish(json);
            }
        }
    }

    /** Passes everything through until a problem+json body starts; that one it keeps, to translate at the end. */
    private static final class TranslatingResponse extends HttpServletResponseWrapper {

        private ByteArrayOutputStream problem;

        TranslatingResponse(HttpServletResponse response) {
            super(response);
        }

        @Override
        public void setContentType(String type) {
            if (type != null && type.startsWith(MediaType.APPLICATION_PROBLEM_JSON_VALUE)) {
                problem = new ByteArrayOutputStream();
                return;
            }
            super.setContentType(type);
        }

        @Override
        public void setHeader(String name, String value) {
            if ("Content-Type".equalsIgnoreCase(name)) {
                setContentType(value);
            } else {
                super.setHeader(name, value);
            }
        }

        @Override
        public void addHeader(String name, String value) {
            if ("Content-Type".equalsIgnoreCase(name)) {
                setContentType(value);
            } else {
                super.addHeader(name, value);
            }
        }

        @Override
        public ServletOutputStream getOutputStream() throws IOException {
            ByteArrayOutputStream buffer = problem;
            if (buffer == null) {
                return super.getOutputStream();
            }
            return new ServletOutputStream() {
                @Override
                public void write(int b) {
                    buffer.write(b);
                }

                @Override
                public void write(byte[] bytes, int offset, int length) {
                    buffer.write(bytes, offset, length);
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setWriteListener(WriteListener listener) {
                    throw new UnsupportedOperationException("a problem body is written synchronously");
                }
            };
        }

        @Override
        public PrintWriter getWriter() throws IOException {
            return problem == null ? super.getWriter()
                    : new PrintWriter(new OutputStreamWriter(getOutputStream(), StandardCharsets.UTF_8), true);
        }

        @Override
        public void flushBuffer() throws IOException {
            if (problem == null) {
                super.flushBuffer();
            }
        }

        @Override
        public void setContentLength(int length) {
            if (problem == null) {
                super.setContentLength(length);
            }
        }

        @Override
        public void setContentLengthLong(long length) {
            if (problem == null) {
                super.setContentLengthLong(length);
            }
        }

        @Override
        public void reset() {
            problem = null;
            super.reset();
        }

        @Override
        public void resetBuffer() {
            if (problem != null) {
                problem.reset();
            }
            super.resetBuffer();
        }

        void finish(JsonMapper json) throws IOException {
            ByteArrayOutputStream buffer = problem;
            if (buffer == null) {
                return;
            }
            problem = null;
            HttpStatus status = HttpStatus.resolve(getStatus());
            if (status == null || !status.isError()) {
                status = HttpStatus.INTERNAL_SERVER_ERROR;
            }
            String message = status.getReasonPhrase();
            String param = null;
            try {
                JsonNode parsed = json.readTree(buffer.toByteArray());
                message = parsed.path("detail").asString(message);
                JsonNode firstField = parsed.path("errors").path(0).path("field");
                param = firstField.isString() ? firstField.asString() : null;
            } catch (RuntimeException unreadable) {
                // not the problem body we expected: the status's own words will do
            }
            byte[] translated = json.writeValueAsBytes(body(status, message, null, param));
            super.setContentType(MediaType.APPLICATION_JSON_VALUE);
            super.setContentLength(translated.length);
            super.getOutputStream().write(translated);
        }
    }
}
