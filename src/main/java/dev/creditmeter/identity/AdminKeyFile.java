package dev.creditmeter.identity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where a bootstrap admin key is written. One data directory may serve several databases (the embedded
 * one, then an external one, and back), so each database's key has its own file: {@code admin.key} for
 * the embedded database, {@code admin-<host>-<port>-<database>.key} for one named by a JDBC URL. An
 * existing file is never replaced, since it may hold the only admin key of a database we are not
 * connected to now; the new key then goes to the first free {@code -2}, {@code -3}, … variant.
 */
final class AdminKeyFile {

    private static final int MAX_NAME_LENGTH = 100;
    private static final int MAX_VARIANTS = 100;

    private AdminKeyFile() {
    }

    /** The file a key would go to if nothing were in the way; {@code jdbcUrl} is blank for the embedded database. */
    static Path preferred(Path dataDir, String jdbcUrl) {
        return dataDir.resolve(stem(jdbcUrl) + ".key");
    }

    /** Creates a new owner-only file holding {@code secret} and answers its path. */
    static Path write(Path dataDir, String jdbcUrl, String secret) throws IOException {
        Files.createDirectories(dataDir);
        String stem = stem(jdbcUrl);
        for (int variant = 1; variant <= MAX_VARIANTS; variant++) {
            Path file = dataDir.resolve(variant == 1 ? stem + ".key" : stem + "-" + variant + ".key");
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (FileAlreadyExistsException taken) {
                continue;
            }
            Files.writeString(file, secret + "\n", StandardCharsets.US_ASCII);
            return file.toAbsolutePath();
        }
        throw new IOException("No free name for an admin key file next to " + preferred(dataDir, jdbcUrl));
    }

    private static String stem(String jdbcUrl) {
        if (jdbcUrl == null || jdbcUrl.isBlank()) {
            return "admin";
        }
        String location = jdbcUrl.strip();
        int query = location.indexOf('?');
        if (query >= 0) {
            location = location.substring(0, query); // parameters may carry a password: never in a file name
        }
        location = location.replaceFirst("(?i)^jdbc:postgresql:", "");
        String name = location.replaceAll("[^A-Za-z0-9._]+", "-").replaceAll("^[-.]+|-+$", "");
        if (name.length() > MAX_NAME_LENGTH) {
            name = name.substring(0, MAX_NAME_LENGTH);
        }
        return name.isEmpty() ? "admin-external" : "admin-" + name;
    }
}
