package dev.creditmeter;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service as its own process on a PostgreSQL server of its own, which the tests stop, crash and start
 * again on the same port and data. While the database is gone, requests that need it get a 503
 * problem+json with Retry-After within 2 s and health says DOWN; once it is back the service recovers by
 * itself; and no answer is ever a 500.
 */
class DatabaseOutageTest {

    private static final String CREDITS = "/api/v1/credits";
    private static final Duration FAIL_FAST = Duration.ofSeconds(2);
    private static final Duration RECOVERY = Duration.ofSeconds(15);

    private static Path databaseDir;
    private static int databasePort;
    private static EmbeddedDatabase database;
    private static ServiceProcess service;
    private static Api api;
    private static String adminKey;
    private static String user;
    private static String userKey;

    /** One answer and how long it took. */
    private record Timed(Api.Response response, Duration elapsed) {
        static Timed of(Supplier<Api.Response> call) {
            long start = System.nanoTime();
            Api.Response response = call.get();
            return new Timed(response, Duration.ofNanos(System.nanoTime() - start));
        }

        int status() {
            return response.status();
        }
    }

    @BeforeAll
    static void startDatabaseAndService() throws Exception {
        Path root = Path.of("target", "test-data", "outage-" + UUID.randomUUID()).toAbsolutePath();
        databaseDir = root.resolve("database");
        databasePort = EmbeddedDatabase.freePort();
        database = EmbeddedDatabase.start(databaseDir, databasePort);
        Path serviceDir = root.resolve("service");
        service = ServiceProcess.start(serviceDir, Map.of(
                        "SPRING_DATASOURCE_URL", database.jdbcUrl(),
                        "SPRING_DATASOURCE_USERNAME", database.username(),
                        "SPRING_DATASOURCE_PASSWORD", database.password()),
                "--creditmeter.security.jwt.issuer-uri=" + ApiTest.JWT.issuer(),
                "--creditmeter.security.jwt.jwk-set-uri=" + ApiTest.JWT.jwkSetUri());
        api = service.api();
        // An external database's bootstrap key has a file of its own, named for the database.
        adminKey = Files.readString(serviceDir.resolve("admin-127.0.0.1-" + databasePort + "-postgres.key")).strip();
        user = "user-" + UUID.randomUUID();
        var issued = api.post(adminKey, CREDITS + "/admin/api-keys",
                "{\"user_id\":\"" + user + "\",\"role\":\"user\",\"label\":\"outage\"}");
        assertThat(issued.status()).as(issued.body()).isEqualTo(201);
        userKey = issued.json().path("key").asString();
    }

    @AfterAll
    static void stopServiceAndDatabase() {
        if (service != null) {
            service.stop();
        }
        if (database != null) {
            database.close();
        }
    }

    @BeforeEach
    void everythingIsUp() {
        assertThat(api.get(userKey, CREDITS + "/balance").status()).isEqualTo(200);
        assertThat(api.get(null, "/actuator/health").status()).isEqualTo(200);
    }

    @Test
    void whileTheDatabaseIsDownRequestsGetA503WithinTwoSecondsAndHealthIsDown() throws Exception {
        String jwt = ApiTest.JWT.token("jwt-" + user, List.of("user"));
        assertThat(api.get(jwt, CREDITS + "/balance").status()).isEqualTo(200);

        database.close();
        List<Timed> unavailable = new ArrayList<>();
        Timed health;
        try {
            // An API key is looked up in a security filter; a JWT needs no lookup, so the failure
            // comes from inside a controller's transaction. Both must answer the same way.
            unavailable.add(Timed.of(() -> api.get(userKey, CREDITS + "/balance")));
            unavailable.add(Timed.of(() -> api.get(jwt, CREDITS + "/balance")));
            unavailable.add(Timed.of(() -> api.post(adminKey, CREDITS + "/allocate",
                    "{\"user_id\":\"" + user + "\",\"amount\":1,\"source\":\"outage\"}")));
            unavailable.add(Timed.of(() -> api.post(jwt, CREDITS + "/usage/track",
                    "{\"service\":\"llm\",\"model\":\"m\",\"cost\":0.01}")));
            health = Timed.of(() -> api.get(null, "/actuator/health"));
        } finally {
            database = EmbeddedDatabase.start(databaseDir, databasePort);
        }
        long restarted = System.nanoTime();

        for (Timed answer : unavailable) {
            assertUnavailable(answer);
        }
        assertThat(health.elapsed()).as("health answered in %s", health.elapsed()).isLessThan(FAIL_FAST);
        assertThat(health.status()).isEqualTo(503);
        assertThat(health.response().json().path("status").asString()).isEqualTo("DOWN");

        Duration recovered = awaitRecovery(restarted);
        assertThat(api.get(jwt, CREDITS + "/balance").status()).isEqualTo(200);
        System.out.printf("DatabaseOutageTest: 503 after %s, health DOWN after %d ms, recovered %d ms after the restart%n",
                unavailable.stream().map(t -> t.elapsed().toMillis() + " ms").toList(),
                health.elapsed().toMillis(), recovered.toMillis());
    }

    @Test
    void aDatabaseCrashAndRestartUnderLoadNeverAnswers500() throws Exception {
        Queue<Timed> answers = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService clients = Executors.newFixedThreadPool(6);
        List<Future<?>> loops = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            boolean writer = i < 2;
            loops.add(clients.submit(() -> {
                while (running.get()) {
                    answers.add(writer
                            ? Timed.of(() -> api.post(adminKey, CREDITS + "/allocate",
                                    "{\"user_id\":\"" + user + "\",\"amount\":0.01,\"source\":\"load\"}"))
                            : Timed.of(() -> api.get(userKey, CREDITS + "/balance")));
                }
            }));
        }
        try {
            Thread.sleep(1_000);
            crash();
            database.close(); // the server is gone already; this lets go of the data directory's lock
            Thread.sleep(5_000);
            database = EmbeddedDatabase.start(databaseDir, databasePort);
            int before = answers.size();
            long deadline = System.nanoTime() + RECOVERY.toNanos();
            while (answers.stream().skip(before).filter(t -> t.status() == 200).count() < 50
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
        } finally {
            running.set(false);
            clients.shutdown();
            assertThat(clients.awaitTermination(90, TimeUnit.SECONDS)).isTrue();
        }
        for (Future<?> loop : loops) {
            loop.get();
        }

        List<Timed> all = List.copyOf(answers);
        long ok = all.stream().filter(t -> t.status() == 200).count();
        List<Timed> refused = all.stream().filter(t -> t.status() == 503).toList();
        System.out.printf("DatabaseOutageTest: %d answers under load, %d x 200, %d x 503, slowest %d ms%n",
                all.size(), ok, refused.size(), all.stream().mapToLong(t -> t.elapsed().toMillis()).max().orElse(0));
        assertThat(all.stream().filter(t -> t.status() != 200 && t.status() != 503)
                .map(t -> t.status() + " " + t.response().body()).toList())
                .as("answers other than 200 and 503").isEmpty();
        refused.forEach(DatabaseOutageTest::assertUnavailable);
        assertThat(all.getLast().status()).isEqualTo(200);
        var verify = api.get(adminKey, CREDITS + "/admin/ledger/verify");
        assertThat(verify.status()).isEqualTo(200);
        assertThat(verify.json().path("consistent").asBoolean()).as(verify.body()).isTrue();
    }

    private static void assertUnavailable(Timed answer) {
        Api.Response response = answer.response();
        assertThat(answer.elapsed()).as("answered in %s: %s", answer.elapsed(), response.body()).isLessThan(FAIL_FAST);
        assertThat(response.status()).as(response.body()).isEqualTo(503);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.header("Retry-After")).as("Retry-After").isNotNull();
        assertThat(Integer.parseInt(response.header("Retry-After"))).isBetween(1, 5);
        var problem = response.json();
        assertThat(problem.path("status").asInt()).isEqualTo(503);
        assertThat(problem.path("title").asString()).isEqualTo("Service Unavailable");
        assertThat(problem.path("detail").asString()).isEqualTo("The database is unavailable; retry shortly");
        assertThat(response.body()).doesNotContainIgnoringCase("exception").doesNotContain("SQL");
    }

    /** Polls until a request that needs the database succeeds again; nothing on the way may be a 500. */
    private static Duration awaitRecovery(long since) throws InterruptedException {
        long deadline = since + RECOVERY.toNanos();
        while (true) {
            var answer = api.get(userKey, CREDITS + "/balance");
            assertThat(answer.status()).as(answer.body()).isIn(200, 503);
            if (answer.status() == 200 && api.get(null, "/actuator/health").status() == 200) {
                return Duration.ofNanos(System.nanoTime() - since);
            }
            assertThat(System.nanoTime()).as("recovered within %s", RECOVERY).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** Immediate shutdown: every backend dies at once and nothing is checkpointed, as in a crash. */
    private static void crash() throws IOException, InterruptedException {
        Path pidFile = databaseDir.resolve("postgres").resolve("postmaster.pid");
        long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().strip());
        new ProcessBuilder("kill", "-QUIT", Long.toString(pid)).start().waitFor(5, TimeUnit.SECONDS);
        ProcessHandle.of(pid).ifPresent(postmaster -> postmaster.onExit().orTimeout(30, TimeUnit.SECONDS).join());
    }
}
