package dev.creditmeter.reliability;

import dev.creditmeter.Api;
import dev.creditmeter.FakeOpenRouter;
import dev.creditmeter.ServiceProcess;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bank test, Jepsen-style: three service nodes (separate processes) on one Debian PostgreSQL, concurrent
 * clients charging, crediting and metering a few hundred users (three of them hot) through all three nodes, one
 * fault per scenario, and a checker that accounts for every request. An operation is OK (2xx), FAILED (a
 * definite refusal) or UNKNOWN (no answer, a dropped connection, a 5xx); an unknown one is retried with the same
 * {@code Idempotency-Key} or {@code event_id} on another node, up to five times; a client gives up on an answer
 * after 5 s.
 * <p>
 * The workload: deducts, allocations, refunds, tracks, batches of five events, holds placed and captured, coupon
 * redemptions (one code, limited to 50 uses) and gateway calls; 40 users' periods end during the first half of
 * the load, and every node renews every second.
 * <p>
 * Faults, one per scenario, at a third of the load and healed at half of it: {@code node-kill} ({@code kill -9}
 * of node 2, restarted), {@code postgres-kill} ({@code kill -9} of the postmaster, restarted on its data),
 * {@code pause} (node 2 frozen with SIGSTOP, longer than the idempotency wait and the holds' TTL, then SIGCONT),
 * {@code pool-exhaustion} (a session keeps the hot users' accounts locked while the nodes run with pools of 4:
 * the requests waiting for them take every connection), {@code clock-jump} (node 2's {@link JumpingClock} 40 days
 * ahead, past every period and hold, checked by a hold it places, then back) and {@code partition} (node 3 reaches PostgreSQL through a
 * {@link LoopbackProxy}, which stops passing bytes, then passes them again).
 * <p>
 * The checker, at the end of each scenario: the service's own ledger check (balance = Σ ledger, held = Σ open
 * holds, for every account); every acknowledged deduct, allocation and refund is in the ledger exactly once, a
 * refused one not at all, an unknown one at most once; every acknowledged usage event (tracked or in a batch) is
 * recorded once and charged by exactly one ledger row, any other at most once; every acknowledged hold capture
 * charged once (an unknown one at most once); every acknowledged gateway call (against the fake OpenRouter of the
 * test's JVM) charged once; the coupon's use count equals its redemptions, within its limit, one per user; no
 * account below zero; no account renewed twice into the same period, and every account whose period ended
 * renewed.
 * <p>
 * {@code ./mvnw -B test -Dtest=ReliabilityTest -Dexcluded.groups=none} runs every scenario;
 * {@code -Dcreditmeter.reliability.faults=node-kill} one, {@code -Dcreditmeter.reliability.seconds=60} the load
 * per scenario.
 */
@Tag("reliability")
class ReliabilityTest {

    private static final int SECONDS = Integer.getInteger("creditmeter.reliability.seconds", 60);
    private static final List<String> FAULTS = List.of(System.getProperty("creditmeter.reliability.faults",
            "node-kill,postgres-kill,pause,pool-exhaustion,clock-jump,partition").split(","));
    /** How long a client waits for an answer before it counts the outcome as unknown and tries another node. */
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(5);
    /** Shorter than the default, so that a frozen node's requests are given up on during the pause. */
    private static final String IDEMPOTENCY_WAIT = "--creditmeter.idempotency.wait=2s";
    private static final int NODES = 3;
    private static final int CLIENTS = 16;
    private static final int USERS = 200;
    private static final int HOT_USERS = 3;

    enum Kind { DEDUCT, ALLOCATE, REFUND, TRACK, BATCH, HOLD, REDEEM, GATEWAY }

    /** Events in one BATCH operation, each with an event id of its own ({@code key-0} ...). */
    private static final int BATCH_EVENTS = 5;

    /**
     * Users whose period ends during the first half of the load, one after another: every node renews every
     * second, so they race for each renewal.
     */
    private static final int RENEWING_USERS = 40;

    /** How far the clock of node 2 jumps ahead in the clock-jump scenario: past every account's period. */
    private static final Duration CLOCK_JUMP = Duration.ofDays(40);

    /** Connections per node in the pool-exhaustion scenario (16 otherwise). */
    private static final int SMALL_POOL = 4;

    /** Users who also call the gateway with keys of their own (the gateway charges the caller). */
    private static final int GATEWAY_USERS = 20;

    /**
     * Holds live 3 s, shorter than the pause and the partition (5 s): a hold placed just before a node freezes has
     * expired when its capture comes, and the expiry path is part of every such scenario.
     */
    private static final int HOLD_TTL_SECONDS = 3;

    /** Coupon redemptions: a code for this many users, so that the limit is reached during the load. */
    private static final int COUPON_USES = 50;

    enum Outcome { OK, FAILED, UNKNOWN }

    /**
     * {@code holdId} is the hold of a HOLD operation (placed, then captured); {@code reference} the completion id
     * of an acknowledged GATEWAY call; null for the others.
     */
    record Operation(Kind kind, String key, String user, Outcome outcome, int attempts, Long holdId, String reference) {
    }

    @Test
    void everyOperationIsAccountedForUnderEachFault() throws Exception {
        var table = new StringBuilder("| scenario | ops | ok | failed | unknown | retried | renewals | faults injected | violations |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---|---|\n");
        List<String> allViolations = new ArrayList<>();
        for (String fault : FAULTS) {
            Scenario result = run(fault.strip());
            table.append(result.row()).append('\n');
            result.violations().forEach(v -> allViolations.add(fault + ": " + v));
        }
        System.out.println("\nReliability, " + SECONDS + " s of load per scenario, " + NODES + " nodes, " + CLIENTS
                + " clients, " + USERS + " users (" + HOT_USERS + " hot)\n\n" + table);
        assertThat(allViolations).as("violations").isEmpty();
    }

    private record Scenario(String name, List<Operation> operations, List<String> faults, long renewals,
                            List<String> violations) {
        String row() {
            var counts = new EnumMap<Outcome, Long>(Outcome.class);
            for (Outcome o : Outcome.values()) {
                counts.put(o, operations.stream().filter(op -> op.outcome() == o).count());
            }
            long retried = operations.stream().filter(op -> op.attempts() > 1).count();
            return "| " + name + " | " + operations.size() + " | " + counts.get(Outcome.OK) + " | " + counts.get(Outcome.FAILED)
                    + " | " + counts.get(Outcome.UNKNOWN) + " | " + retried + " | " + renewals + " | " + String.join("; ", faults) + " | "
                    + (violations.isEmpty() ? "0" : violations.size() + ": " + String.join("; ", violations.subList(0, Math.min(3, violations.size())))) + " |";
        }
    }

    private Scenario run(String fault) throws Exception {
        Path directory = Files.createTempDirectory("creditmeter-reliability-" + fault + "-");
        // the server runs as the postgres user, which must reach its directory inside this one
        Files.setPosixFilePermissions(directory, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        try (var postgres = DebianPostgres.start(directory.resolve("postgres"));
             var proxy = new LoopbackProxy(postgres.port())) {
            // Pools small enough that the requests waiting for the locked accounts take every connection.
            var nodes = new Nodes(directory, postgres, proxy, fault.equals("pool-exhaustion")
                    ? List.of("--spring.datasource.hikari.maximum-pool-size=" + SMALL_POOL) : List.of());
            Scenario scenario;
            try {
                scenario = load(fault, directory, postgres, proxy, nodes);
            } finally {
                nodes.stopAll();
            }
            if (scenario.violations().isEmpty()) {
                postgres.close();
                deleteTree(directory); // a scenario with violations keeps its logs and database for a post-mortem
            }
            return scenario;
        }
    }

    private static void deleteTree(Path directory) throws java.io.IOException {
        try (var paths = Files.walk(directory)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private Scenario load(String fault, Path directory, DebianPostgres postgres, LoopbackProxy proxy, Nodes nodes)
            throws Exception {
        nodes.start(0);
        String adminKey;
        try (var keys = Files.list(directory.resolve("node-1"))) {
            Path keyFile = keys.filter(p -> p.getFileName().toString().startsWith("admin-")).findFirst().orElseThrow();
            adminKey = Files.readString(keyFile).strip();
        }
        for (int i = 1; i < NODES; i++) {
            nodes.start(i);
        }
        Api first = nodes.process(0).api();
        var created = first.post(adminKey, "/api/v1/credits/admin/api-keys",
                "{\"user_id\":\"reliability\",\"role\":\"service\",\"label\":\"reliability\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String serviceKey = created.json().path("key").asString();
        List<String> users = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            users.add(u < HOT_USERS ? "hot-" + u : "user-" + u);
        }
        for (String user : users) {
            var funded = first.post(adminKey, "/api/v1/credits/allocate",
                    "{\"user_id\":\"" + user + "\",\"amount\":50,\"source\":\"reliability\"}");
            assertThat(funded.status()).as(funded.body()).isEqualTo(200);
        }
        var gatewayKeys = new HashMap<String, String>();
        for (String user : users.subList(0, GATEWAY_USERS)) {
            var key = first.post(adminKey, "/api/v1/credits/admin/api-keys",
                    "{\"user_id\":\"" + user + "\",\"role\":\"user\",\"label\":\"reliability\"}");
            assertThat(key.status()).as(key.body()).isEqualTo(201);
            gatewayKeys.put(user, key.json().path("key").asString());
        }
        var coupon = first.post(adminKey, "/api/v1/credits/coupons/create",
                "{\"code\":\"RELIABILITY\",\"coupon_type\":\"credit_bonus\",\"value\":1,\"max_uses\":" + COUPON_USES + "}");
        assertThat(coupon.status()).as(coupon.body()).isEqualTo(200);
        List<String> renewing = users.subList(HOT_USERS, HOT_USERS + RENEWING_USERS);
        endPeriodsDuringTheLoad(postgres, renewing);

        var operations = new ConcurrentLinkedQueue<Operation>();
        var faults = new ArrayList<String>();
        var sequence = new AtomicLong();
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(SECONDS);
        try (var clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < CLIENTS; c++) {
                long seed = c;
                clients.submit(() -> {
                    var random = new Random(seed);
                    while (System.nanoTime() < end) {
                        operations.add(operate(random, nodes, serviceKey, gatewayKeys, users, sequence.incrementAndGet()));
                    }
                    return null;
                });
            }
            inject(fault, postgres, proxy, nodes, adminKey, start, end, faults);
        }
        // every node up again for the checker
        for (int i = 0; i < NODES; i++) {
            if (!nodes.process(i).process().isAlive()) {
                nodes.start(i);
            }
        }
        List<String> violations = check(first, adminKey, postgres, new ArrayList<>(operations));
        violations.addAll(checkCoupon(postgres));
        violations.addAll(checkAccountEvents(postgres));
        var renewals = checkRenewals(postgres, renewing);
        violations.addAll(renewals.violations());
        return new Scenario(fault, new ArrayList<>(operations), faults, renewals.count(), violations);
    }

    /**
     * The three nodes: node 3 reaches the database through the proxy (the partition scenario cuts it), the others
     * directly; each client's requests give up after {@link #CLIENT_TIMEOUT}.
     */
    private static final class Nodes {
        private final Path directory;
        private final DebianPostgres postgres;
        private final LoopbackProxy proxy;
        private final AtomicReferenceArray<ServiceProcess> processes = new AtomicReferenceArray<>(NODES);
        private final AtomicReferenceArray<Api> clients = new AtomicReferenceArray<>(NODES);
        private final List<String> scenarioArgs;

        Nodes(Path directory, DebianPostgres postgres, LoopbackProxy proxy, List<String> scenarioArgs) {
            this.directory = directory;
            this.postgres = postgres;
            this.proxy = proxy;
            this.scenarioArgs = scenarioArgs;
        }

        void start(int i) throws Exception {
            String url = i == NODES - 1 ? DebianPostgres.jdbcUrl(proxy.port()) : postgres.jdbcUrl();
            var args = new ArrayList<>(List.of(IDEMPOTENCY_WAIT,
                    "--creditmeter.tiers.renewal-interval=1s", "--creditmeter.tiers.renewal-initial-delay=1s"));
            args.addAll(scenarioArgs);
            if (i == 1) { // node 2 reads a clock that the clock-jump scenario moves
                args.add("--reliability.clock-offset-file=" + clockOffsetFile());
            }
            var node = ServiceProcess.start(directory.resolve("node-" + (i + 1)), Map.of("SPRING_DATASOURCE_URL", url,
                    "SPRING_DATASOURCE_USERNAME", "postgres", "SPRING_DATASOURCE_PASSWORD", DebianPostgres.PASSWORD,
                    "CREDITMETER_OPENROUTER_BASE_URL", FakeOpenRouter.baseUrl(),
                    "CREDITMETER_OPENROUTER_PLATFORM_KEY", FakeOpenRouter.PLATFORM_KEY), args.toArray(String[]::new));
            processes.set(i, node);
            clients.set(i, node.api().withTimeout(CLIENT_TIMEOUT));
        }

        /** Seconds that node 2's clock is ahead. */
        Path clockOffsetFile() {
            return directory.resolve("clock-offset");
        }

        void jumpClock(Duration offset) throws Exception {
            Path written = Files.writeString(directory.resolve("clock-offset.new"), Long.toString(offset.toSeconds()));
            Files.move(written, clockOffsetFile(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }

        ServiceProcess process(int i) {
            return processes.get(i);
        }

        Api client(int i) {
            return clients.get(i);
        }

        /** Every node that runs, stopped (a frozen one woken first), also when a scenario fails half-way. */
        void stopAll() throws Exception {
            for (int i = 0; i < NODES; i++) {
                ServiceProcess node = processes.get(i);
                if (node != null && node.process().isAlive()) {
                    signal(i, "CONT");
                    node.stop();
                }
            }
        }

        void signal(int i, String signal) throws Exception {
            new ProcessBuilder("kill", "-" + signal, Long.toString(processes.get(i).process().pid())).start().waitFor();
        }
    }

    /** The fault, on the test's thread while the clients run: at a third of the load, healed at half of it. */
    private static void inject(String fault, DebianPostgres postgres, LoopbackProxy proxy, Nodes nodes, String adminKey,
                               long start, long end, List<String> faults) throws Exception {
        long third = start + (end - start) / 3;
        long half = start + (end - start) / 2;
        sleepUntil(third);
        switch (fault) {
            case "none" -> faults.add("none");
            case "node-kill" -> {
                nodes.process(1).process().destroyForcibly().waitFor();
                faults.add("kill -9 node 2 at " + secondsSince(start));
                sleepUntil(half);
                nodes.start(1);
                faults.add("node 2 restarted, healthy at " + secondsSince(start));
            }
            case "pause" -> {
                nodes.signal(1, "STOP");
                faults.add("SIGSTOP node 2 at " + secondsSince(start));
                sleepUntil(half);
                nodes.signal(1, "CONT");
                faults.add("SIGCONT at " + secondsSince(start) + " (client time-out " + CLIENT_TIMEOUT.toSeconds()
                        + " s, idempotency wait 2 s)");
            }
            case "partition" -> {
                proxy.cut();
                faults.add("node 3 cut from PostgreSQL at " + secondsSince(start));
                sleepUntil(half);
                proxy.heal();
                faults.add("healed at " + secondsSince(start));
            }
            case "pool-exhaustion" -> {
                // A transaction that keeps the hot users' accounts locked (a stuck session, a long migration): every
                // request for them waits on the lock with a pooled connection, until no node has one to spare.
                try (var locker = DriverManager.getConnection(postgres.jdbcUrl(), "postgres", DebianPostgres.PASSWORD);
                     var statement = locker.createStatement()) {
                    locker.setAutoCommit(false);
                    statement.execute("select 1 from credit_accounts where user_id like 'hot-%' for update");
                    faults.add("hot users' accounts locked at " + secondsSince(start));
                    sleep(2_000);
                    faults.add("pools then (active/pending per node): " + pools(nodes, adminKey));
                    sleepUntil(half);
                    locker.rollback();
                    faults.add("released at " + secondsSince(start));
                }
            }
            case "clock-jump" -> {
                nodes.jumpClock(CLOCK_JUMP);
                faults.add("node 2's clock " + CLOCK_JUMP.toDays() + " days ahead at " + secondsSince(start) + " ("
                        + nodeTwosTime(nodes, adminKey) + ")");
                sleepUntil(half);
                nodes.jumpClock(Duration.ZERO);
                faults.add("back at " + secondsSince(start));
            }
            case "postgres-kill" -> {
                postgres.kill();
                faults.add("kill -9 PostgreSQL at " + secondsSince(start));
                sleepUntil(half);
                postgres.startAgain();
                faults.add("PostgreSQL restarted at " + secondsSince(start));
            }
            default -> throw new IllegalArgumentException("unknown fault " + fault);
        }
        sleepUntil(end);
    }

    /** One operation, retried with the same key on the next node while its outcome is unknown. */
    private static Operation operate(Random random, Nodes nodes, String serviceKey, Map<String, String> gatewayKeys,
                                     List<String> users, long n) {
        String user = random.nextInt(4) == 0 ? users.get(random.nextInt(HOT_USERS)) : users.get(random.nextInt(users.size()));
        Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
        String key = kind.name().toLowerCase() + "-" + n;
        if (kind == Kind.HOLD) {
            return holdThenCapture(random, nodes, serviceKey, user, key);
        }
        if (kind == Kind.GATEWAY) {
            return gatewayCall(random, nodes, gatewayKeys, users, key);
        }
        if (kind == Kind.BATCH) {
            var events = new ArrayList<String>();
            for (int e = 0; e < BATCH_EVENTS; e++) {
                String eventUser = random.nextBoolean() ? user : users.get(random.nextInt(users.size()));
                events.add(usageEvent(eventUser, key + "-" + e));
            }
            var sent = send(random, nodes, serviceKey, "/api/v1/credits/usage/events",
                    "{\"events\":[" + String.join(",", events) + "]}", key);
            return new Operation(kind, key, user, sent.outcome(), sent.attempts(), null, null);
        }
        String path;
        String body;
        switch (kind) {
            case REFUND -> {
                path = "/api/v1/credits/refund";
                body = "{\"user_id\":\"" + user + "\",\"amount\":0.02,\"reason\":\"reliability\"}";
            }
            case REDEEM -> {
                path = "/api/v1/credits/coupons/redeem";
                body = "{\"user_id\":\"" + user + "\",\"code\":\"RELIABILITY\"}";
            }
            case DEDUCT -> {
                path = "/api/v1/credits/deduct";
                body = "{\"user_id\":\"" + user + "\",\"amount\":0.0" + (1 + random.nextInt(5)) + ",\"service\":\"reliability\"}";
            }
            case ALLOCATE -> {
                path = "/api/v1/credits/allocate";
                body = "{\"user_id\":\"" + user + "\",\"amount\":0.05,\"source\":\"reliability\"}";
            }
            default -> {
                path = "/api/v1/credits/usage/track";
                body = usageEvent(user, key);
            }
        }
        var sent = send(random, nodes, serviceKey, path, body, key);
        return new Operation(kind, key, user, sent.outcome(), sent.attempts(), null, null);
    }

    private static String usageEvent(String user, String eventId) {
        return "{\"user_id\":\"" + user + "\",\"service\":\"reliability\",\"model\":\"m\",\"cost\":0.001,"
                + "\"input_tokens\":10,\"output_tokens\":5,\"event_id\":\"" + eventId + "\"}";
    }

    /**
     * A chat completion through the gateway against the fake OpenRouter of this JVM, by a user with a key of its
     * own. The gateway takes no idempotency key (a retried call is a second call), so this is sent once: its
     * outcome is what the checker accounts for, by the completion id that the usage event records.
     */
    private static Operation gatewayCall(Random random, Nodes nodes, Map<String, String> gatewayKeys, List<String> users,
                                         String key) {
        String user = users.get(random.nextInt(GATEWAY_USERS));
        Outcome outcome;
        String reference = null;
        try {
            var response = nodes.client(random.nextInt(NODES)).post(gatewayKeys.get(user), "/v1/chat/completions",
                    "{\"model\":\"reliability/model\",\"messages\":[{\"role\":\"user\",\"content\":\"" + key + "\"}]}");
            outcome = response.status() < 300 ? Outcome.OK : response.status() < 500 ? Outcome.FAILED : Outcome.UNKNOWN;
            reference = outcome == Outcome.OK ? response.json().path("id").asString() : null;
        } catch (UncheckedIOException | IllegalStateException noAnswer) {
            outcome = Outcome.UNKNOWN;
        }
        return new Operation(Kind.GATEWAY, key, user, outcome, 1, null, reference);
    }

    /** Places a hold of 0.05, then captures 0.03 of it; the operation's outcome is the capture's. */
    private static Operation holdThenCapture(Random random, Nodes nodes, String serviceKey, String user, String key) {
        var placed = send(random, nodes, serviceKey, "/api/v1/credits/holds",
                "{\"user_id\":\"" + user + "\",\"amount\":0.05,\"ttl_seconds\":" + HOLD_TTL_SECONDS + "}", key + "-place");
        if (placed.outcome() != Outcome.OK) {
            return new Operation(Kind.HOLD, key, user, placed.outcome(), placed.attempts(), null, null);
        }
        long holdId = placed.body().path("hold_id").asLong();
        var captured = send(random, nodes, serviceKey, "/api/v1/credits/holds/" + holdId + "/capture",
                "{\"amount\":0.03}", key + "-capture");
        return new Operation(Kind.HOLD, key, user, captured.outcome(), placed.attempts() + captured.attempts(), holdId, null);
    }

    private record Sent(Outcome outcome, int attempts, tools.jackson.databind.JsonNode body) {
    }

    /** One request, sent again with the same key to the next node while its outcome is unknown, five times at most. */
    private static Sent send(Random random, Nodes nodes, String serviceKey, String path, String body, String key) {
        int node = random.nextInt(NODES);
        for (int attempt = 1; ; attempt++) {
            Outcome outcome;
            Api.Response response = null;
            try {
                response = nodes.client(node).post(serviceKey, path, body, Map.of("Idempotency-Key", key));
                outcome = response.status() < 300 ? Outcome.OK : response.status() < 500 && response.status() != 409
                        ? Outcome.FAILED : Outcome.UNKNOWN;
            } catch (UncheckedIOException | IllegalStateException noAnswer) {
                outcome = Outcome.UNKNOWN;
            }
            if (outcome != Outcome.UNKNOWN || attempt == 5) {
                return new Sent(outcome, attempt, outcome == Outcome.OK ? response.json() : null);
            }
            node = (node + 1) % NODES;
            sleep(200L * attempt);
        }
    }

    /**
     * What time node 2 reads, from the expiry of a hold it places (a minute's TTL, released at once), so that a
     * jump that did not take effect fails the scenario rather than passing without a fault.
     */
    private static String nodeTwosTime(Nodes nodes, String adminKey) {
        sleep(500); // the node reads its offset file every 100 ms
        var placed = nodes.client(1).post(adminKey, "/api/v1/credits/holds",
                "{\"user_id\":\"clock-probe\",\"amount\":0.01,\"ttl_seconds\":60}");
        assertThat(placed.status()).as(placed.body()).isEqualTo(201);
        java.time.Instant reads = java.time.Instant.parse(placed.json().path("expires_at").asString()).minusSeconds(60);
        nodes.client(1).post(adminKey, "/api/v1/credits/holds/" + placed.json().path("hold_id").asLong() + "/release", "{}");
        assertThat(reads).as("node 2's clock after the jump").isAfter(java.time.Instant.now().plus(CLOCK_JUMP).minusSeconds(60));
        return "it reads " + reads;
    }

    /** Each node's pool as its metrics show it: connections in use and requests waiting for one. */
    private static String pools(Nodes nodes, String adminKey) {
        List<String> pools = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            try {
                String metrics = nodes.client(i).get(adminKey, "/actuator/prometheus").body();
                pools.add(metric(metrics, "hikaricp_connections_active") + "/" + metric(metrics, "hikaricp_connections_pending"));
            } catch (UncheckedIOException | IllegalStateException noAnswer) {
                pools.add("no answer");
            }
        }
        return String.join(", ", pools);
    }

    private static String metric(String metrics, String name) {
        return metrics.lines().filter(line -> line.startsWith(name + "{")).findFirst()
                .map(line -> line.substring(line.lastIndexOf(' ') + 1).replace(".0", "")).orElse("?");
    }

    /**
     * The periods of {@code renewing} end one after another during the first half of the load (their period
     * started a month before), so that the nodes renew them while the clients charge them and the fault strikes.
     */
    private static void endPeriodsDuringTheLoad(DebianPostgres postgres, List<String> renewing) throws Exception {
        try (var connection = DriverManager.getConnection(postgres.jdbcUrl(), "postgres", DebianPostgres.PASSWORD);
             var update = connection.prepareStatement("update credit_accounts set reset_date = now() + make_interval(secs => ?),"
                     + " period_start = now() + make_interval(secs => ?) - interval '1 month' where user_id = ?")) {
            for (int i = 0; i < renewing.size(); i++) {
                double seconds = (double) SECONDS / 2 * i / renewing.size();
                update.setDouble(1, seconds);
                update.setDouble(2, seconds);
                update.setString(3, renewing.get(i));
                assertThat(update.executeUpdate()).isEqualTo(1);
            }
        }
    }

    /**
     * Renewals happened once per account and period: no two renewals of an account start the same period, and
     * every account whose period ended during the load was renewed.
     */
    private static Renewals checkRenewals(DebianPostgres postgres, List<String> renewing) throws Exception {
        List<String> violations = new ArrayList<>();
        long count = 0;
        Map<String, Long> renewals = new HashMap<>();
        try (var connection = DriverManager.getConnection(postgres.jdbcUrl(), "postgres", DebianPostgres.PASSWORD);
             var statement = connection.createStatement();
             var rows = statement.executeQuery("select user_id, metadata ->> 'next_reset', count(*) from credit_transactions"
                     + " where transaction_type = 'monthly_reset' and metadata ->> 'reason' = 'renewal' group by 1, 2")) {
            while (rows.next()) {
                renewals.merge(rows.getString(1), 1L, Long::sum);
                count += rows.getLong(3);
                if (rows.getLong(3) != 1) {
                    violations.add(rows.getString(1) + " renewed " + rows.getLong(3) + " times to " + rows.getString(2));
                }
            }
        }
        for (String user : renewing) {
            if (!renewals.containsKey(user)) {
                violations.add(user + "'s period ended during the load, and it was not renewed");
            }
        }
        return new Renewals(count, violations);
    }

    private record Renewals(long count, List<String> violations) {
    }

    /**
     * Account events: every committed one has its id, each account's sequence runs 1..n without a gap, an
     * account's balance.low and balance.recovered alternate (a threshold fires once per crossing), and every
     * committed ledger row that adds credits has exactly one credits.added.
     */
    private static List<String> checkAccountEvents(DebianPostgres postgres) throws Exception {
        List<String> violations = new ArrayList<>();
        try (var connection = DriverManager.getConnection(postgres.jdbcUrl(), "postgres", DebianPostgres.PASSWORD);
             var statement = connection.createStatement()) {
            counts(statement, "select 'events', count(*) from account_events where id is null having count(*) > 0")
                    .forEach((what, n) -> violations.add(n + " committed events without an id"));
            counts(statement, "select user_id, max(sequence) - count(*) from account_events where user_id is not null"
                    + " group by user_id having max(sequence) <> count(*)")
                    .forEach((user, gap) -> violations.add(user + "'s event sequence has " + gap + " gaps"));
            counts(statement, "select user_id, count(*) from (select user_id, type, lag(type) over"
                    + " (partition by user_id order by sequence) as previous from account_events"
                    + " where type in ('balance.low', 'balance.recovered')) t where type = previous group by user_id")
                    .forEach((user, n) -> violations.add(user + " has " + n + " balance events repeated without the other"));
            counts(statement, "select t.id, count(e.position) from credit_transactions t left join account_events e"
                    + " on e.type = 'credits.added' and e.user_id = t.user_id and (e.data ->> 'transaction_id')::bigint = t.id"
                    + " where t.amount_micros > 0 and t.transaction_type in ('allocation', 'bonus', 'refund', 'monthly_reset')"
                    + " group by t.id having count(e.position) <> 1")
                    .forEach((id, n) -> violations.add("ledger row " + id + " has " + n + " credits.added events"));
        }
        return violations;
    }

    /** The coupon's use count is its redemptions, within its limit, and no user redeemed it twice. */
    private static List<String> checkCoupon(DebianPostgres postgres) throws Exception {
        List<String> violations = new ArrayList<>();
        try (var connection = DriverManager.getConnection(postgres.jdbcUrl(), "postgres", DebianPostgres.PASSWORD);
             var statement = connection.createStatement();
             var row = statement.executeQuery("select c.used_count, c.max_uses, count(r.*), count(distinct r.user_id)"
                     + " from coupon_codes c left join coupon_redemptions r on r.code = c.code"
                     + " where c.code = 'RELIABILITY' group by c.used_count, c.max_uses")) {
            row.next();
            long used = row.getLong(1);
            long max = row.getLong(2);
            long redemptions = row.getLong(3);
            long users = row.getLong(4);
            if (used != redemptions || used > max || users != redemptions) {
                violations.add("coupon used_count " + used + ", max_uses " + max + ", redemptions " + redemptions
                        + " by " + users + " users");
            }
        }
        return violations;
    }

    private static List<String> check(Api api, String adminKey, DebianPostgres postgres, List<Operation> operations) throws Exception {
        List<String> violations = new ArrayList<>();
        var verify = api.get(adminKey, "/api/v1/credits/admin/ledger/verify");
        if (verify.status() != 200 || !verify.json().path("consistent").asBoolean()) {
            violations.add("ledger check: " + verify.body());
        }
        Map<String, Long> ledgerRows;
        Map<String, Long> eventCharges;
        Map<String, Long> holdCharges;
        Map<String, Long> gatewayCharges;
        long negative;
        try (var connection = DriverManager.getConnection(postgres.jdbcUrl(), "postgres", DebianPostgres.PASSWORD);
             var statement = connection.createStatement()) {
            ledgerRows = counts(statement, "select idempotency_key, count(*) from credit_transactions"
                    + " where idempotency_key is not null group by idempotency_key");
            eventCharges = counts(statement, "select e.event_id, count(t.id) from usage_events e"
                    + " left join credit_transactions t on t.usage_event_id = e.id group by e.id, e.event_id");
            holdCharges = counts(statement, "select metadata ->> 'hold_id', count(*) from credit_transactions"
                    + " where metadata ? 'hold_id' group by 1");
            gatewayCharges = counts(statement, "select e.metadata ->> 'request_id', count(t.id) from usage_events e"
                    + " join credit_transactions t on t.usage_event_id = e.id where e.service = 'gateway' group by 1");
            try (var rows = statement.executeQuery("select count(*) from credit_accounts where allowance_micros + bonus_micros < 0")) {
                rows.next();
                negative = rows.getLong(1);
            }
        }
        if (negative > 0) {
            violations.add(negative + " accounts below zero");
        }
        for (Operation op : operations) {
            if (op.kind() == Kind.TRACK) {
                Long charges = eventCharges.get(op.key());
                if (op.outcome() == Outcome.OK && (charges == null || charges != 1)) {
                    violations.add("acknowledged event " + op.key() + " charged " + charges + " times");
                } else if (charges != null && charges > 1) {
                    violations.add("event " + op.key() + " charged " + charges + " times");
                }
                continue;
            }
            if (op.kind() == Kind.BATCH) {
                for (int e = 0; e < BATCH_EVENTS; e++) {
                    Long charges = eventCharges.get(op.key() + "-" + e);
                    if (op.outcome() == Outcome.OK && (charges == null || charges != 1)) {
                        violations.add("acknowledged batch event " + op.key() + "-" + e + " charged " + charges + " times");
                    }
                }
                continue; // an unknown one at most once: below, for every event recorded
            }
            if (op.kind() == Kind.HOLD) {
                long charges = op.holdId() == null ? 0 : holdCharges.getOrDefault(String.valueOf(op.holdId()), 0L);
                if (op.outcome() == Outcome.OK ? charges != 1 : charges > 1) {
                    violations.add(op.outcome() + " capture of hold " + op.holdId() + " charged " + charges + " times");
                }
                continue;
            }
            if (op.kind() == Kind.REDEEM) {
                continue; // checkCoupon: the use count against the redemptions and the limit
            }
            if (op.kind() == Kind.GATEWAY) {
                long charges = op.reference() == null ? 0 : gatewayCharges.getOrDefault(op.reference(), 0L);
                if (op.outcome() == Outcome.OK && charges != 1) {
                    violations.add("acknowledged gateway call " + op.reference() + " charged " + charges + " times");
                }
                continue;
            }
            long rows = ledgerRows.getOrDefault(op.key(), 0L);
            switch (op.outcome()) {
                case OK -> {
                    if (rows != 1) {
                        violations.add("acknowledged " + op.key() + " in the ledger " + rows + " times");
                    }
                }
                case FAILED -> {
                    if (rows != 0) {
                        violations.add("refused " + op.key() + " in the ledger " + rows + " times");
                    }
                }
                case UNKNOWN -> {
                    if (rows > 1) {
                        violations.add("unknown " + op.key() + " in the ledger " + rows + " times");
                    }
                }
            }
        }
        for (var charged : eventCharges.entrySet()) {
            if (charged.getValue() != 1) {
                violations.add("event " + charged.getKey() + " has " + charged.getValue() + " ledger rows");
            }
        }
        return violations;
    }

    /** A query's rows as key → count (the first column, the second), summed over repeated keys. */
    private static Map<String, Long> counts(java.sql.Statement statement, String sql) throws java.sql.SQLException {
        Map<String, Long> counts = new HashMap<>();
        try (var rows = statement.executeQuery(sql)) {
            while (rows.next()) {
                counts.merge(rows.getString(1), rows.getLong(2), Long::sum);
            }
        }
        return counts;
    }

    private static String secondsSince(long start) {
        return String.format("%.1f s", (System.nanoTime() - start) / 1e9);
    }

    private static void sleepUntil(long nanoTime) {
        sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(nanoTime - System.nanoTime())));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
