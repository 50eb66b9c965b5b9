/**
 * The OpenAI-compatible gateway: {@code /v1/chat/completions}, {@code /v1/models} and {@code /v1/models/{id}}
 * forwarded to OpenRouter with the caller's own key (BYOK) or the platform's, platform calls held, forwarded and
 * charged by their usage; every error on {@code /v1/**} in OpenAI's shape.
 */
package dev.creditmeter.gateway;
