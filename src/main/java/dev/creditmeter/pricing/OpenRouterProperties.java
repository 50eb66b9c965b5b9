package dev.creditmeter.pricing;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.net.URI;

/**
 * Where OpenRouter is and the platform's own key for it. The key never appears in {@link #toString()}
 * (records print their fields), in an exception message or in the log.
 */
@ConfigurationProperties("creditmeter.openrouter")
record OpenRouterProperties(URI baseUrl, String platformKey) {

    static final URI DEFAULT_BASE_URL = URI.create("https://openrouter.ai/api/v1");

    OpenRouterProperties {
        baseUrl = baseUrl == null || baseUrl.toString().isBlank() ? DEFAULT_BASE_URL : baseUrl;
        platformKey = platformKey == null || platformKey.isBlank() ? null : platformKey.strip();
    }

    /** {@code base} joined with a path such as {@code /models}, whether or not the base ends in a slash. */
    URI resolve(String path) {
        String base = baseUrl.toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path);
    }

    @Override
    public String toString() {
        return "OpenRouterProperties[baseUrl=" + baseUrl + ", platformKey=" + (platformKey == null ? "unset" : "****") + "]";
    }
}
