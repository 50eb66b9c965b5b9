package dev.creditmeter.web;

/**
 * Which strings the service accepts from a client, wherever they come from (JSON bodies, query
 * parameters, path segments). PostgreSQL cannot store NUL, an unpaired surrogate cannot be encoded as
 * UTF-8 without silently becoming '?', and control and bidirectional-override characters make stored
 * ids and texts look like something they are not in logs, CSV exports and dashboards. Such text is
 * refused with 422 at the edge instead of failing, or being mangled, in the database.
 */
public final class TextRules {

    /** Identifiers and names (user ids, services, models, codes): one line of at most 255 characters. */
    public static final int MAX_NAME_LENGTH = 255;
    /** Free text (descriptions, metadata values): line breaks and tabs allowed, at most 2,048 characters. */
    public static final int MAX_FREE_TEXT_LENGTH = 2048;

    private TextRules() {
    }

    /** Why {@code text} is not an acceptable name, or null when it is. */
    public static String nameProblem(String text) {
        return problem(text, MAX_NAME_LENGTH, false);
    }

    /** Why {@code text} is not acceptable free text, or null when it is. */
    public static String freeTextProblem(String text) {
        return problem(text, MAX_FREE_TEXT_LENGTH, true);
    }

    private static String problem(String text, int maxLength, boolean lineBreaksAllowed) {
        if (text.length() > maxLength) {
            return "must be at most " + maxLength + " characters";
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\0') {
                return "must not contain NUL characters";
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
                continue;
            }
            if (Character.isSurrogate(c)) {
                return "must not contain unpaired surrogate characters";
            }
            if (Character.getType(c) == Character.CONTROL
                    && !(lineBreaksAllowed && (c == '\n' || c == '\r' || c == '\t'))) {
                return "must not contain control characters";
            }
            if ((c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')) {
                return "must not contain bidirectional control characters";
            }
        }
        return null;
    }
}
