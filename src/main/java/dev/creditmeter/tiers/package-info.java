/** Subscription tiers: the catalogue, tier switches, the monthly allowance renewal and per-tier call quotas. */
package dev.creditmeter.tiers;
