package dev.creditmeter;

import com.zaxxer.hikari.HikariDataSource;

import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** The service started as its own process, as an operator runs it, on a free port. */
public record ServiceProcess(Process process, Api api, Duration startup) {

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);

    /** How a start that was meant to fail ended: the exit code and everything the process printed. */
    public record Refusal(int exitCode, String output) {
    }

    public static ServiceProcess start(Path dataDir, Map<String, String> environment, String... args) throws Exception {
        int port = freePort();
        long begin = System.nanoTime();
        Process process = launch(dataDir, dataDir.resolve("service.out"), port, environment, args);
        Api api = new Api(port);
        long deadline = begin + STARTUP_TIMEOUT.toNanos();
        try {
            while (!answersHealth(api)) {
                assertThat(process.isAlive()).as("the service exited; see " + dataDir.resolve("service.out")).isTrue();
                assertThat(System.nanoTime()).as("service started in time").isLessThan(deadline);
                Thread.sleep(100);
            }
        } catch (AssertionError | InterruptedException e) {
            // A failed start leaves no process (nor its database) behind to disturb the next tests.
            process.destroy();
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            throw e;
        }
        return new ServiceProcess(process, api, Duration.ofNanos(System.nanoTime() - begin));
    }

    /**
     * Starts the service where it should refuse to run and waits for it to exit. If it comes up
     * instead, it is stopped and the test fails, rather than waiting for a timeout.
     */
    public static Refusal startExpectingRefusal(Path dataDir, Map<String, String> environment, String... args) throws Exception {
        int port = freePort();
        Files.createDirectories(dataDir);
        Path output = Files.createTempFile(dataDir, "refused-", ".out");
        Process process = launch(dataDir, output, port, environment, args);
        Api api = new Api(port);
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (!process.waitFor(100, TimeUnit.MILLISECONDS)) {
            if (answersHealth(api) || System.nanoTime() > deadline) {
                new ServiceProcess(process, api, Duration.ZERO).stop();
                fail("the service started although it should have refused; see " + output);
            }
        }
        return new Refusal(process.exitValue(), Files.readString(output));
    }

    /** Another node on the database of {@code dataSource} (the test context's), as an operator adds one. */
    public static ServiceProcess sharing(HikariDataSource dataSource, Path dataDir, String... args) throws Exception {
        return start(dataDir, Map.of(
                "SPRING_DATASOURCE_URL", dataSource.getJdbcUrl(),
                "SPRING_DATASOURCE_USERNAME", dataSource.getUsername(),
                "SPRING_DATASOURCE_PASSWORD", dataSource.getPassword()), args);
    }

    /** SIGTERM: Spring shuts down gracefully, then the embedded PostgreSQL, if it runs one. */
    public void stop() {
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private static Process launch(Path dataDir, Path output, int port, Map<String, String> environment,
                                  String... args) throws Exception {
        Files.createDirectories(dataDir);
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), CreditmeterApplication.class.getName(),
                "--server.port=" + port, "--creditmeter.data-dir=" + dataDir));
        command.addAll(List.of(args));
        var builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
        builder.environment().putAll(environment);
        return builder.start();
    }

    private static boolean answersHealth(Api api) {
        try {
            return api.get(null, "/actuator/health").status() == 200;
        } catch (UncheckedIOException notYet) {
            return false;
        }
    }

    private static int freePort() throws Exception {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
