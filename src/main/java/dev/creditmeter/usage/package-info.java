/** Usage metering: recording and charging usage events, and the summaries read from their hourly rollups. */
package dev.creditmeter.usage;
