package dev.creditmeter.web;

import java.util.ArrayList;
import java.util.List;

/** Collects every failed check of a request so that a 422 names all the bad fields at once. */
public final class Validation {

    public static final int MAX_TEXT_LENGTH = TextRules.MAX_NAME_LENGTH;

    private final List<InvalidField> errors = new ArrayList<>();

    public Validation require(boolean ok, String field, String message) {
        if (!ok) {
            errors.add(new InvalidField(field, message));
        }
        return this;
    }

    /** A required, non-blank name: one line of at most 255 characters that {@link TextRules} accepts. */
    public Validation text(String value, String field) {
        if (value == null || value.isBlank()) {
            errors.add(new InvalidField(field, "is required"));
        } else {
            optionalText(value, field);
        }
        return this;
    }

    /** A name as {@link #text}, or null. */
    public Validation optionalText(String value, String field) {
        String problem = value == null ? null : TextRules.nameProblem(value);
        return require(problem == null, field, problem);
    }

    public void throwIfInvalid() {
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
    }
}
