/**
 * Account events and their delivery: the database writes an event (balance.low, credits.added, ...) in the
 * transaction of the change that causes it (migration V14, and charge_usage for the quota and unpriced events);
 * this package reads them for polling ({@code GET /events}), keeps the low-balance thresholds, and delivers
 * events to webhook endpoints, signed as the Standard Webhooks specification says.
 */
package dev.creditmeter.events;
