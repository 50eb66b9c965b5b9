package dev.creditmeter;

import io.zonky.test.db.postgres.util.ArchUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * The system and architecture, in io.zonky.test's words, of the PostgreSQL binaries to run here. The jar
 * carries only the platforms people run the service on (see pom.xml); on any other we stop with a
 * message instead of unpacking binaries that cannot run, or failing deep inside zonky's resolver.
 */
record PostgresPlatform(String system, String architecture) {

    private static final Set<PostgresPlatform> SHIPPED = Set.of(
            new PostgresPlatform("Linux", "x86_64"),
            new PostgresPlatform("Linux", "arm_64"),
            new PostgresPlatform("Darwin", "arm_64"));

    static PostgresPlatform current() {
        // Alpine's musl C library cannot run the glibc builds we ship.
        boolean alpine = Files.exists(Path.of("/etc/alpine-release"));
        return of(System.getProperty("os.name"), System.getProperty("os.arch"), alpine);
    }

    static PostgresPlatform of(String osName, String osArch, boolean alpine) {
        String system = osName.startsWith("Linux") ? "Linux" : osName.startsWith("Mac") ? "Darwin" : osName;
        var platform = new PostgresPlatform(system, ArchUtils.normalize(osArch));
        if (alpine || !SHIPPED.contains(platform)) {
            throw new EmbeddedDatabaseUnavailable("This build has no embedded PostgreSQL for " + osName + " " + osArch
                    + (alpine ? " (Alpine, musl)" : "") + ": it ships one for Linux x86-64 and arm64 (glibc) and macOS arm64.",
                    "Run it on one of those, or use an external PostgreSQL 15+ by setting spring.datasource.url"
                            + " (with .username and .password).");
        }
        return platform;
    }

    /** The class-path resource holding this platform's binaries (io.zonky.test's name for it). */
    String archive() {
        return "postgres-" + system.toLowerCase(Locale.ROOT) + "-" + architecture + ".txz";
    }
}
