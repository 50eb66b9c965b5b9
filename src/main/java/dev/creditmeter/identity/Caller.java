package dev.creditmeter.identity;

/** The authenticated principal of a request. Never carries the credential it was proven with. */
public record Caller(String userId, Role role) {

    /** Admins and services may act on any user; a user acts on itself only. */
    public boolean mayActForOthers() {
        return role == Role.ADMIN || role == Role.SERVICE;
    }

    /**
     * The user a request acts on: a {@code user_id} given by an admin or a service, else the caller.
     * A plain user's {@code user_id} is ignored, as the contract says.
     */
    public String target(String requestedUserId) {
        return mayActForOthers() && requestedUserId != null && !requestedUserId.isBlank() ? requestedUserId : userId;
    }

    /** How the audit log names this caller. */
    public String actor() {
        return role.wireName() + ":" + userId;
    }
}
