/**
 * OpenRouter's API as the service uses it: {@link dev.creditmeter.openrouter.OpenRouterClient}, the one facade
 * (base URL and attribution headers, timeouts, the retry policy, key checks), and its settings
 * ({@link dev.creditmeter.openrouter.OpenRouterProperties}: base URL, platform key). Used by {@code byok} (key
 * checks and credits), {@code pricing} (the model catalogue) and {@code gateway} (the metered calls); it depends
 * on no feature.
 */
package dev.creditmeter.openrouter;
