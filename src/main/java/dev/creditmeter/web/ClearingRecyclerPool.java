package dev.creditmeter.web;

import tools.jackson.core.util.BufferRecycler;
import tools.jackson.core.util.RecyclerPool;

import java.util.Arrays;

/**
 * Jackson's buffers, pooled as by default, but emptied when they go back to the pool. A pooled buffer keeps the
 * last document read into it: a body with a BYOK key stayed in the heap for as long as the process ran
 * ({@code SecretsCanaryTest}). Zeroing some 30 KB per parse costs less than allocating fresh buffers for every
 * request, which the service did for a while (measured in BENCHMARKS.md).
 */
final class ClearingRecyclerPool extends RecyclerPool.ConcurrentDequePoolBase<BufferRecycler> {

    ClearingRecyclerPool() {
        super(SERIALIZATION_NON_SHARED);
    }

    @Override
    public BufferRecycler createPooled() {
        return new ClearingBufferRecycler();
    }

    @Override
    public void releasePooled(BufferRecycler recycler) {
        ((ClearingBufferRecycler) recycler).clear();
        super.releasePooled(recycler);
    }

    private static final class ClearingBufferRecycler extends BufferRecycler {

        void clear() {
            for (int i = 0; i < _byteBuffers.length(); i++) {
                byte[] buffer = _byteBuffers.get(i);
                if (buffer != null) {
                    Arrays.fill(buffer, (byte) 0);
                }
            }
            for (int i = 0; i < _charBuffers.length(); i++) {
                char[] buffer = _charBuffers.get(i);
                if (buffer != null) {
                    Arrays.fill(buffer, '\0');
                }
            }
        }
    }
}
