/**
 * What scheduled jobs of several features share: deleting old rows in batches, one node at a time.
 */
package dev.creditmeter.jobs;
