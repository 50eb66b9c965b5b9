/** The audit log of privileged and security-relevant actions: who, what, when, to whom, and how it ended. */
package dev.creditmeter.audit;
