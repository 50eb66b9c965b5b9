/**
 * The web dashboard: its pages are static resources ({@code static/index.html}, {@code static/dashboard/}, built on
 * the public REST API alone); this package serves what the pages need from the service besides that API: whether
 * sign-in through an OpenID provider is configured ({@link dev.creditmeter.dashboard.DashboardController}), and the
 * exchange of the provider's authorization code for a token, so that the pages talk to their own origin only.
 */
package dev.creditmeter.dashboard;
