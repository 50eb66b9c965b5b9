package dev.creditmeter;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;

/**
 * A PostgreSQL server run from the binaries that io.zonky.test's Maven artifacts ship, with its
 * data in {@code <data-dir>/postgres} so that it survives restarts.
 *
 * <p>We start the server ourselves instead of through zonky's launcher for two reasons: the data must
 * persist (zonky targets throw-away test databases), and PostgreSQL refuses to run as root, which is
 * how containers and CI machines often run us. As root, every PostgreSQL command runs in a fresh user
 * namespace where our uid is mapped to {@code nobody}; files stay owned by the real user.
 */
final class EmbeddedDatabase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static final String SUPERUSER = "postgres";

    private final DataDirectoryLock lock;
    private final Path logFile;
    private final int port;
    private final String password;
    private final Process server;

    private EmbeddedDatabase(DataDirectoryLock lock, Path logFile, int port, String password, Process server) {
        this.lock = lock;
        this.logFile = logFile;
        this.port = port;
        this.password = password;
        this.server = server;
    }

    /**
     * Starts the server of {@code dataDir}, or throws {@link EmbeddedDatabaseUnavailable} without
     * touching anything when another live process already runs it.
     */
    static EmbeddedDatabase start(Path dataDir) throws IOException {
        return start(dataDir, freePort());
    }

    /** On a chosen port: a server restarted on its data directory is found where its clients left it. */
    static EmbeddedDatabase start(Path dataDir, int port) throws IOException {
        Files.createDirectories(dataDir);
        DataDirectoryLock lock = DataDirectoryLock.acquire(dataDir);
        try {
            return start(dataDir, lock, port);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static EmbeddedDatabase start(Path dataDir, DataDirectoryLock lock, int port) throws IOException {
        Path binDir = extractBinaries();
        Path pgData = dataDir.resolve("postgres");
        Path passwordFile = dataDir.resolve("postgres.password");
        Path logFile = dataDir.resolve("postgres.log");
        if (!Files.exists(pgData.resolve("PG_VERSION"))) {
            initialise(binDir, pgData, passwordFile, logFile);
        }
        String password = Files.readString(passwordFile).strip();
        stopOrphanedServer(pgData);
        List<String> command = command(binDir, "postgres", "-D", pgData.toString(), "-p", Integer.toString(port),
                "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=");
        Process server = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        var database = new EmbeddedDatabase(lock, logFile, port, password, server);
        database.awaitReady();
        log.info("Embedded PostgreSQL is running on 127.0.0.1:{} with data in {}", port, pgData);
        return database;
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    int port() {
        return port;
    }

    String username() {
        return SUPERUSER;
    }

    String password() {
        return password;
    }

    /** Fast shutdown (SIGINT): open transactions are rolled back, the data is checkpointed. */
    @Override
    public void close() {
        try {
            stopServer();
        } finally {
            lock.close(); // only once the server is gone, so that the next owner never meets it running
        }
    }

    private void stopServer() {
        if (!server.isAlive()) {
            return;
        }
        try {
            new ProcessBuilder("kill", "-INT", Long.toString(server.pid())).start().waitFor(5, TimeUnit.SECONDS);
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        } catch (IOException e) {
            server.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.destroyForcibly();
        }
    }

    private void awaitReady() throws IOException {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (true) {
            if (!server.isAlive()) {
                throw new IOException("PostgreSQL exited during start-up; see " + logFile);
            }
            try (var ignored = DriverManager.getConnection(jdbcUrl(), SUPERUSER, password)) {
                return;
            } catch (SQLException notYet) {
                if (System.nanoTime() > deadline) {
                    server.destroyForcibly();
                    throw new IOException("PostgreSQL did not accept connections within " + STARTUP_TIMEOUT + "; see " + logFile);
                }
                sleep(50);
            }
        }
    }

    private static void initialise(Path binDir, Path pgData, Path passwordFile, Path logFile) throws IOException {
        Path parent = pgData.getParent();
        Path staging = Files.createTempDirectory(parent, "postgres-init-");
        Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwx------"));
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        writeOwnerOnly(passwordFile, HexFormat.of().formatHex(secret));
        run(logFile, command(binDir, "initdb", "-D", staging.toString(), "-U", SUPERUSER,
                "--auth=scram-sha-256", "--pwfile=" + passwordFile, "-E", "UTF-8", "--locale=C"));
        Files.move(staging, pgData, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * A server left behind by a process that was killed would hold the data directory. Called only
     * with the {@link DataDirectoryLock} held: the process that started such a server has ended, so
     * nobody uses it any more.
     */
    private static void stopOrphanedServer(Path pgData) {
        Path pidFile = pgData.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        try {
            long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().strip());
            ProcessHandle.of(pid)
                    .filter(p -> p.info().command().map(c -> c.endsWith("/postgres")).orElse(false))
                    .ifPresent(p -> {
                        log.warn("Stopping a PostgreSQL server (pid {}) left running on {} by a process that has ended", pid, pgData);
                        p.destroy();
                        p.onExit().orTimeout(30, TimeUnit.SECONDS).join();
                    });
        } catch (IOException | RuntimeException e) {
            log.debug("No usable postmaster.pid in {}", pgData, e);
        }
    }

    /**
     * The binaries are unpacked once per machine and archive, into the temp directory. A start that
     * finds them unpacked does not read the archive: it is named by the CRC-32 and size that its jar
     * records, which is all a warm start reads of it.
     */
    private static Path extractBinaries() throws IOException {
        String name = PostgresPlatform.current().archive();
        URL archive = EmbeddedDatabase.class.getClassLoader().getResource(name);
        if (archive == null) {
            throw new IOException(name + " is not on the class path");
        }
        Path root = Path.of(System.getProperty("java.io.tmpdir"), "creditmeter-postgres");
        Files.createDirectories(root);
        String id = archiveId(archive);
        Path target = root.resolve(id);
        if (Files.exists(target.resolve("bin/postgres"))) {
            return target.resolve("bin");
        }
        try (FileChannel lock = FileChannel.open(root.resolve(id + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             var ignored = lock.lock()) {
            if (!Files.exists(target.resolve("bin/postgres"))) {
                Path staging = Files.createTempDirectory(root, "unpack-");
                try (InputStream in = archive.openStream()) {
                    untar(in, staging);
                }
                try {
                    Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
                    throw new IOException("Could not install PostgreSQL binaries in " + target, e);
                }
            }
        }
        return target.resolve("bin");
    }

    /** The archive's CRC-32 and size, as its jar's directory records them. */
    private static String archiveId(URL archive) throws IOException {
        if (!(archive.openConnection() instanceof JarURLConnection jar)) {
            throw new IOException(archive + " is not in a jar");
        }
        JarEntry entry = jar.getJarEntry();
        if (entry.getCrc() < 0 || entry.getSize() < 0) {
            throw new IOException("The jar holding " + archive + " does not record its CRC-32 and size");
        }
        return "%08x-%d".formatted(entry.getCrc(), entry.getSize());
    }

    private static void untar(InputStream archive, Path into) throws IOException {
        try (var tar = new TarArchiveInputStream(new XZCompressorInputStream(new BufferedInputStream(archive)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path path = into.resolve(entry.getName()).normalize();
                if (!path.startsWith(into)) {
                    throw new IOException("Archive entry outside the target: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(path);
                } else if (entry.isSymbolicLink()) {
                    Files.createDirectories(path.getParent());
                    Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
                } else {
                    Files.createDirectories(path.getParent());
                    Files.copy(tar, path, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(path, permissions(entry.getMode()));
                }
            }
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        // Readable by everyone: as root, the server runs as a mapped "nobody".
        return PosixFilePermissions.fromString((mode & 0100) != 0 ? "rwxr-xr-x" : "rw-r--r--");
    }

    private static List<String> command(Path binDir, String program, String... args) {
        List<String> command = new ArrayList<>();
        if (runningAsRoot()) {
            command.addAll(List.of("unshare", "--user", "--map-user=65534", "--map-group=65534"));
        }
        command.add(binDir.resolve(program).toString());
        command.addAll(List.of(args));
        return command;
    }

    private static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static void run(Path logFile, List<String> command) throws IOException {
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        try {
            if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException(command.getFirst() + " failed; see " + logFile);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while running " + command, e);
        }
    }

    private static void writeOwnerOnly(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content + "\n", StandardCharsets.UTF_8);
    }

    static int freePort() throws IOException {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
