package dev.creditmeter;

/**
 * The embedded database cannot start for a reason the operator has to fix, not a fault: the message
 * says what is wrong and what to do, and Spring Boot reports it without a stack trace.
 */
final class EmbeddedDatabaseUnavailable extends IllegalStateException {

    private final String description;
    private final String action;

    EmbeddedDatabaseUnavailable(String description, String action) {
        super(description + " " + action);
        this.description = description;
        this.action = action;
    }

    String description() {
        return description;
    }

    String action() {
        return action;
    }
}
