package dev.creditmeter;

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

/** The service started as its own process, as an operator runs it, on a free port. */
public record ServiceProcess(Process process, Api api, Duration startup) {

    public static ServiceProcess start(Path dataDir, Map<String, String> environment, String... args) throws Exception {
        int port;
        try (var socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Files.createDirectories(dataDir);
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), CreditmeterApplication.class.getName(),
                "--server.port=" + port, "--creditmeter.data-dir=" + dataDir));
        command.addAll(List.of(args));
        var builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("service.out").toFile()));
        builder.environment().putAll(environment);
        long begin = System.nanoTime();
        Process process = builder.start();
        Api api = new Api(port);
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            assertThat(process.isAlive()).as("the service exited; see " + dataDir.resolve("service.out")).isTrue();
            try {
                if (api.get(null, "/actuator/health").status() == 200) {
                    break;
                }
            } catch (UncheckedIOException notYet) {
                // not listening yet
            }
            assertThat(System.nanoTime()).as("service started in time").isLessThan(deadline);
            Thread.sleep(100);
        }
        return new ServiceProcess(process, api, Duration.ofNanos(System.nanoTime() - begin));
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
}
