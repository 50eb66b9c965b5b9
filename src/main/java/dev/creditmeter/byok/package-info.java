/** Bring-your-own-key OpenRouter accounts: connecting a key (checked through {@code openrouter}), the key vault (Fernet keyring). */
package dev.creditmeter.byok;
