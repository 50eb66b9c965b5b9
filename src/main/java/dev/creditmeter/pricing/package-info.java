/** What usage costs: the model catalogue, the free-model rule and the platform's markup policy. */
package dev.creditmeter.pricing;
