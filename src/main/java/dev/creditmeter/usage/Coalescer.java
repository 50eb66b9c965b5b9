package dev.creditmeter.usage;

import org.springframework.dao.DataIntegrityViolationException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs the work of concurrent requests together: each request waits while a worker runs everything
 * queued at that moment (up to {@code maxBatch} items) as one call of {@code work}, then gets its own
 * element of the answer. A lone request is run at once; under load, a batch forms while the previous one
 * runs, so a worker pays one round trip and one commit for many requests.
 * <p>
 * A batch that breaks a data rule fails as a whole; its items are then run one by one, so that only the
 * item at fault fails. Any other failure (the database away) is every item's answer.
 */
final class Coalescer<I, O> implements AutoCloseable {

    private record Pending<I, O>(I item, CompletableFuture<O> result) {
    }

    private final LinkedBlockingQueue<Pending<I, O>> queue = new LinkedBlockingQueue<>();
    private final Function<List<I>, List<O>> work;
    private final int maxBatch;
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean closed;

    /** @param work answers a list of items with a list of the same size and order */
    Coalescer(String name, int workers, int maxBatch, Function<List<I>, List<O>> work) {
        if (workers < 1 || maxBatch < 1) {
            throw new IllegalArgumentException("A coalescer needs at least one worker and a batch of at least one");
        }
        this.work = work;
        this.maxBatch = maxBatch;
        for (int i = 1; i <= workers; i++) {
            this.workers.add(Thread.ofPlatform().name(name + "-" + i).daemon().start(this::runBatches));
        }
    }

    /** The item's answer, computed in a batch with whatever else is waiting; the caller waits for it. */
    O submit(I item) {
        if (closed) {
            return work.apply(List.of(item)).getFirst();
        }
        var pending = new Pending<I, O>(item, new CompletableFuture<>());
        queue.add(pending);
        try {
            return pending.result().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    private void runBatches() {
        var batch = new ArrayList<Pending<I, O>>(maxBatch);
        while (!closed || !queue.isEmpty()) {
            try {
                Pending<I, O> first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
            } catch (InterruptedException e) {
                continue; // close() interrupts only to end the wait; the loop condition decides
            }
            queue.drainTo(batch, maxBatch - 1);
            run(batch);
            batch.clear();
        }
    }

    private void run(List<Pending<I, O>> batch) {
        try {
            answer(batch, work.apply(batch.stream().map(Pending::item).toList()));
        } catch (DataIntegrityViolationException e) {
            if (batch.size() == 1) {
                batch.getFirst().result().completeExceptionally(e);
                return;
            }
            for (Pending<I, O> alone : batch) {
                run(List.of(alone));
            }
        } catch (RuntimeException | Error e) {
            batch.forEach(pending -> pending.result().completeExceptionally(e));
        }
    }

    private void answer(List<Pending<I, O>> batch, List<O> answers) {
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).result().complete(answers.get(i));
        }
    }

    /** Runs what is queued, then stops the workers; later items run alone in their caller's thread. */
    @Override
    public void close() {
        closed = true;
        for (Thread worker : workers) {
            try {
                worker.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
