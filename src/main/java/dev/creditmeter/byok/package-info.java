/** Bring-your-own-key OpenRouter accounts: the key vault (Fernet keyring), and later the accounts themselves. */
package dev.creditmeter.byok;
