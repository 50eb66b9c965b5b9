/**
 * The OpenAI-compatible gateway: {@code /v1/chat/completions} and {@code /v1/models} forwarded to OpenRouter
 * with the caller's own key (BYOK) or the platform's, platform calls held, forwarded and charged by their usage.
 */
package dev.creditmeter.gateway;
