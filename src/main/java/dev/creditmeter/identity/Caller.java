package dev.creditmeter.identity;

import dev.creditmeter.web.ApiException;

/** The authenticated principal of a request. Never carries the credential it was proven with. */
public record Caller(String userId, Role role) {

    /** Admins and services may act on any user; a user acts on itself only. */
    public boolean mayActForOthers() {
        return role == Role.ADMIN || role == Role.SERVICE;
    }

    /**
     * The user a request acts on: a {@code user_id} given by an admin or a service, else the caller.
     * A plain user's {@code user_id} is ignored, as the contract says. A service acts for users, never
     * for itself, so it must name one: without it, 422 rather than charging the service's own account.
     */
    public String target(String requestedUserId) {
        boolean named = requestedUserId != null && !requestedUserId.isBlank();
        if (role == Role.SERVICE && !named) {
            throw ApiException.invalid("user_id", "is required for a service caller");
        }
        return mayActForOthers() && named ? requestedUserId : userId;
    }

    /** How the audit log names this caller. */
    public String actor() {
        return role.wireName() + ":" + userId;
    }
}
