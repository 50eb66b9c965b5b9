package dev.creditmeter.web;

import java.util.ArrayList;
import java.util.List;

/** Collects every failed check of a request so that a 422 names all the bad fields at once. */
public final class Validation {

    public static final int MAX_TEXT_LENGTH = 255;

    private final List<InvalidField> errors = new ArrayList<>();

    public Validation require(boolean ok, String field, String message) {
        if (!ok) {
            errors.add(new InvalidField(field, message));
        }
        return this;
    }

    /** A required, non-blank text of at most 255 characters. */
    public Validation text(String value, String field) {
        if (value == null || value.isBlank()) {
            errors.add(new InvalidField(field, "is required"));
        } else {
            optionalText(value, field);
        }
        return this;
    }

    public Validation optionalText(String value, String field) {
        return require(value == null || value.length() <= MAX_TEXT_LENGTH, field,
                "must be at most " + MAX_TEXT_LENGTH + " characters");
    }

    public void throwIfInvalid() {
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
    }
}
