package dev.creditmeter.reliability;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian's PostgreSQL server (package {@code postgresql}, installed by {@code .ci/run}) as the reliability runs
 * need it: a cluster of its own in a fresh directory, on a free loopback port, that can be killed with SIGKILL
 * and started again on the same data. Run as root, the server runs as the {@code postgres} system user.
 */
final class DebianPostgres implements AutoCloseable {

    static final String PASSWORD = "reliability";

    private final Path bin;
    private final Path dataDir;
    private final int port;

    private DebianPostgres(Path bin, Path dataDir, int port) {
        this.bin = bin;
        this.dataDir = dataDir;
        this.port = port;
    }

    /** A new cluster under {@code directory}, started. */
    static DebianPostgres start(Path directory) throws Exception {
        Path bin = binaries();
        Files.createDirectories(directory);
        Path dataDir = directory.resolve("pgdata");
        Path passwordFile = directory.resolve("pwfile");
        Files.writeString(passwordFile, PASSWORD + "\n");
        if (asRoot()) {
            run(List.of("chown", "-R", "postgres:postgres", directory.toString()));
        }
        run(asPostgres(List.of(bin.resolve("initdb").toString(), "-D", dataDir.toString(), "-U", "postgres",
                "--pwfile=" + passwordFile, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                "--no-sync")));
        int port;
        try (var socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        var server = new DebianPostgres(bin, dataDir, port);
        server.startAgain();
        return server;
    }

    String jdbcUrl() {
        return jdbcUrl(port);
    }

    /** The URL of this database reached through another port (a {@link LoopbackProxy} in front of it). */
    static String jdbcUrl(int port) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    int port() {
        return port;
    }

    /** Starts the server on its existing data (after {@link #kill}) and waits until it accepts connections. */
    void startAgain() throws Exception {
        run(asPostgres(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-w", "-t", "60",
                "-l", dataDir.resolveSibling("postgres.log").toString(), "-o",
                "-p " + port + " -c listen_addresses=127.0.0.1 -k " + dataDir + " -c max_connections=200"
                        + " -c fsync=on -c synchronous_commit=on", "start")));
    }

    /** SIGKILL to the postmaster: no shutdown, no checkpoint; the next start recovers from the WAL. */
    void kill() throws Exception {
        String pid = Files.readAllLines(dataDir.resolve("postmaster.pid")).getFirst().strip();
        run(List.of("kill", "-9", pid));
        // the backends notice their postmaster is gone; wait until none is left holding the port
        for (int i = 0; i < 100 && ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false); i++) {
            Thread.sleep(100);
        }
        Thread.sleep(500);
    }

    @Override
    public void close() throws Exception {
        try {
            run(asPostgres(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "immediate",
                    "-w", "stop")));
        } catch (IllegalStateException alreadyStopped) {
            // killed and not restarted: nothing to stop
        }
    }

    private static Path binaries() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            throw new IllegalStateException("Debian's postgresql is not installed (apt-get install postgresql)");
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.filter(v -> Files.isExecutable(v.resolve("bin/pg_ctl")))
                    .max(Comparator.comparing(v -> Integer.parseInt(v.getFileName().toString().replaceAll("\\D", "0"))))
                    .map(v -> v.resolve("bin"))
                    .orElseThrow(() -> new IllegalStateException("no PostgreSQL server under " + root));
        }
    }

    private static boolean asRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static List<String> asPostgres(List<String> command) {
        if (!asRoot()) {
            return command;
        }
        var wrapped = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    private static void run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
        }
    }
}
