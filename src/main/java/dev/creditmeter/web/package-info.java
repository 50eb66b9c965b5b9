/** The HTTP edge: problem+json errors, JSON limits, request size limits and the OpenAPI description. */
package dev.creditmeter.web;
