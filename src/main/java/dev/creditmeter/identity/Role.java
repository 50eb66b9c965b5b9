package dev.creditmeter.identity;

import java.util.Locale;

/** What a caller may do: act on itself (user), administer (admin), or charge for any user (service). */
public enum Role {
    USER, ADMIN, SERVICE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Role fromWire(String value) {
        return switch (value) {
            case "user" -> USER;
            case "admin" -> ADMIN;
            case "service" -> SERVICE;
            default -> throw new IllegalArgumentException("unknown role " + value);
        };
    }
}
