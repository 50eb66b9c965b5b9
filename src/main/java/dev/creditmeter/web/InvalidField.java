package dev.creditmeter.web;

/** One failed check of a request field or query parameter, as listed in a 422's {@code errors}. */
public record InvalidField(String field, String message) {
}
