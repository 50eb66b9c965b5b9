package dev.creditmeter.jobs;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.function.IntUnaryOperator;

/**
 * Deletes rows in batches so that no transaction grows large, each batch under a transaction-level advisory lock
 * so that nodes running the same job at once do not fight over the rows: a node that does not get the lock stops,
 * since another one is on it.
 */
@Component
public class BatchedDeletes {

    private final JdbcClient jdbc;
    private final TransactionTemplate transactions;

    BatchedDeletes(JdbcClient jdbc, TransactionTemplate transactions) {
        this.jdbc = jdbc;
        this.transactions = transactions;
    }

    /**
     * Runs {@code deleteBatch} (given the batch size, answering how many rows it deleted) until a batch deletes
     * fewer than {@code batchSize}; returns how many rows were deleted in all.
     *
     * @param lockId the advisory lock of this job, the same on every node
     */
    public long deleteInBatches(long lockId, int batchSize, IntUnaryOperator deleteBatch) {
        long total = 0;
        while (true) {
            Integer deleted = transactions.execute(status -> {
                boolean mine = jdbc.sql("select pg_try_advisory_xact_lock(:id)").param("id", lockId)
                        .query(Boolean.class).single();
                return mine ? deleteBatch.applyAsInt(batchSize) : 0;
            });
            total += deleted == null ? 0 : deleted;
            if (deleted == null || deleted < batchSize) {
                return total;
            }
        }
    }
}
