/** Creditmeter: prepaid credits, usage metering and billing for AI APIs; this package boots it and its embedded database. */
package dev.creditmeter;
