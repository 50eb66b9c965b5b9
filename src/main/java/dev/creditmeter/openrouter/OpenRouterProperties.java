package dev.creditmeter.openrouter;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.net.URI;

/**
 * Where OpenRouter is, the platform's own key for it, and how we introduce ourselves and retry. The key
 * never appears in {@link #toString()} (records print their fields), in an exception message or in the log.
 *
 * @param referer      sent as {@code HTTP-Referer} (OpenRouter's app attribution), when set
 * @param title        sent as {@code X-Title}
 * @param retryBackoff the wait before the second attempt after a 5xx or network error; doubled before the third
 */
@ConfigurationProperties("creditmeter.openrouter")
public record OpenRouterProperties(URI baseUrl, String platformKey, String referer, String title,
                                   java.time.Duration retryBackoff) {

    public static final URI DEFAULT_BASE_URL = URI.create("https://openrouter.ai/api/v1");

    public OpenRouterProperties {
        baseUrl = baseUrl == null || baseUrl.toString().isBlank() ? DEFAULT_BASE_URL : baseUrl;
        platformKey = platformKey == null || platformKey.isBlank() ? null : platformKey.strip();
        title = title == null || title.isBlank() ? "Creditmeter" : title;
        retryBackoff = retryBackoff == null ? java.time.Duration.ofMillis(250) : retryBackoff;
    }

    /** {@code base} joined with a path such as {@code /models}, whether or not the base ends in a slash. */
    public URI resolve(String path) {
        String base = baseUrl.toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path);
    }

    @Override
    public String toString() {
        return "OpenRouterProperties[baseUrl=" + baseUrl + ", platformKey=" + (platformKey == null ? "unset" : "****") + "]";
    }
}
