package dev.creditmeter.usage;

import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.DataAccessResourceFailureException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The coalescer alone, without Spring or a database: batching, answers, failures. */
class CoalescerTest {

    @Test
    void requestsWaitingWhileABatchRunsAreRunTogetherAndEachGetsItsOwnAnswer() throws Exception {
        var release = new CountDownLatch(1);
        var batches = new CopyOnWriteArrayList<List<Integer>>();
        Function<List<Integer>, List<Integer>> doubling = items -> {
            batches.add(items);
            await(release);
            return items.stream().map(i -> i * 2).toList();
        };
        try (var coalescer = new Coalescer<>("test", 1, 100, doubling);
             ExecutorService clients = Executors.newFixedThreadPool(11)) {
            Future<Integer> first = clients.submit(() -> coalescer.submit(0));
            waitUntil(() -> batches.size() == 1);
            List<Future<Integer>> waiting = submitEach(coalescer, clients, 1, 11);
            Thread.sleep(200); // all ten queue up behind the running batch
            release.countDown();

            assertThat(first.get(5, TimeUnit.SECONDS)).isZero();
            for (int i = 1; i <= 10; i++) {
                assertThat(waiting.get(i - 1).get(5, TimeUnit.SECONDS)).isEqualTo(2 * i);
            }
            assertThat(batches).hasSize(2);
            assertThat(batches.get(1)).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        }
    }

    @Test
    void aBatchIsNeverLargerThanItsLimit() throws Exception {
        var release = new CountDownLatch(1);
        var sizes = new CopyOnWriteArrayList<Integer>();
        Function<List<Integer>, List<Integer>> identity = items -> {
            sizes.add(items.size());
            await(release);
            return items;
        };
        try (var coalescer = new Coalescer<>("test", 1, 3, identity);
             ExecutorService clients = Executors.newFixedThreadPool(10)) {
            List<Future<Integer>> answers = submitEach(coalescer, clients, 0, 10);
            Thread.sleep(200); // all queue up behind the first batch
            release.countDown();
            for (int i = 0; i < 10; i++) {
                assertThat(answers.get(i).get(5, TimeUnit.SECONDS)).isEqualTo(i);
            }
            assertThat(sizes).allSatisfy(size -> assertThat(size).isBetween(1, 3));
            assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(10);
        }
    }

    @Test
    void aBatchBreakingADataRuleIsRunItemByItemSoOnlyTheFaultyItemFails() throws Exception {
        var release = new CountDownLatch(1);
        Function<List<Integer>, List<Integer>> refusingSeven = items -> {
            await(release);
            if (items.contains(7)) {
                throw new DataIntegrityViolationException("seven");
            }
            return items;
        };
        try (var coalescer = new Coalescer<>("test", 1, 100, refusingSeven);
             ExecutorService clients = Executors.newFixedThreadPool(10)) {
            List<Future<Integer>> answers = submitEach(coalescer, clients, 0, 10);
            Thread.sleep(200); // all queue up behind the first batch
            release.countDown();
            for (int i = 0; i < 10; i++) {
                if (i == 7) {
                    assertThatThrownBy(answers.get(i)::get).hasCauseInstanceOf(DataIntegrityViolationException.class);
                } else {
                    assertThat(answers.get(i).get(5, TimeUnit.SECONDS)).isEqualTo(i);
                }
            }
        }
    }

    @Test
    void anyOtherFailureIsTheAnswerOfEveryItemOfTheBatch() {
        Function<List<Integer>, List<Integer>> away = items -> {
            throw new DataAccessResourceFailureException("database away");
        };
        try (var coalescer = new Coalescer<>("test", 2, 100, away)) {
            assertThatThrownBy(() -> coalescer.submit(1)).isInstanceOf(DataAccessResourceFailureException.class);
        }
    }

    @Test
    void afterCloseItemsRunAloneInTheCallersThread() {
        var threads = new CopyOnWriteArrayList<String>();
        Function<List<Integer>, List<Integer>> recording = items -> {
            threads.add(Thread.currentThread().getName());
            return items;
        };
        var coalescer = new Coalescer<>("test", 1, 100, recording);
        assertThat(coalescer.submit(1)).isEqualTo(1);
        coalescer.close();
        assertThat(coalescer.submit(2)).isEqualTo(2);
        assertThat(threads).containsExactly("test-1", Thread.currentThread().getName());
    }

    /** Submits the items from {@code from} to {@code to} (exclusive), each from a client thread of its own. */
    private static List<Future<Integer>> submitEach(Coalescer<Integer, Integer> coalescer, ExecutorService clients,
                                                    int from, int to) {
        List<Future<Integer>> answers = new ArrayList<>();
        for (int i = from; i < to; i++) {
            int item = i;
            answers.add(clients.submit(() -> coalescer.submit(item)));
        }
        return answers;
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(condition.getAsBoolean()).isTrue();
    }
}
