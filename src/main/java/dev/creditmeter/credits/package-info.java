/** The money core: accounts, balances, the append-only ledger and idempotent money-moving requests. */
package dev.creditmeter.credits;
