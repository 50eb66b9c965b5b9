/**
 * The OpenAI-compatible gateway: chat and text completions, embeddings, the Responses API and the model list
 * under {@code /v1}, forwarded to OpenRouter with the caller's own key (BYOK) or the platform's, platform calls held, forwarded and
 * charged by their usage; every error on {@code /v1/**} in OpenAI's shape.
 */
package dev.creditmeter.gateway;
