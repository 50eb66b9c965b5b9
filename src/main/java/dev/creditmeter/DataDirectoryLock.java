package dev.creditmeter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive lock on {@code <data-dir>/creditmeter.lock}, held while a process runs the embedded
 * database of that directory. The operating system drops the lock when the process ends, however it
 * ends, so a lock we can take proves that no live process owns the directory (and that a PostgreSQL
 * still running there is an orphan we may stop); a lock we cannot take means we must not touch it.
 */
final class DataDirectoryLock implements AutoCloseable {

    static final String FILE_NAME = "creditmeter.lock";

    /*
     * On Linux, closing any channel of a file drops every lock this process holds on it, so a second
     * attempt from the same process must not even open the file: it is answered from this set.
     */
    private static final Set<Path> HELD_HERE = ConcurrentHashMap.newKeySet();

    private final Path dataDir;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirectoryLock(Path dataDir, FileChannel channel, FileLock lock) {
        this.dataDir = dataDir;
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock or throws {@link EmbeddedDatabaseUnavailable}; {@code dataDir} must exist. */
    static DataDirectoryLock acquire(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        if (!HELD_HERE.add(dataDir)) {
            throw inUse(dataDir, Optional.of(ProcessHandle.current().pid()));
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                throw inUse(dataDir, ownerPid(file));
            }
            // Only to name the owner in the refusal message; the lock itself is what counts.
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            channel.force(false);
            return new DataDirectoryLock(dataDir, channel, lock);
        } catch (IOException | RuntimeException e) {
            HELD_HERE.remove(dataDir);
            if (channel != null && channel.isOpen()) {
                channel.close();
            }
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // The lock goes with the process at the latest.
        } finally {
            HELD_HERE.remove(dataDir);
        }
    }

    private static Optional<Long> ownerPid(Path file) {
        try {
            return Optional.of(Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty(); // the owner may not have written its pid yet
        }
    }

    private static EmbeddedDatabaseUnavailable inUse(Path dataDir, Optional<Long> ownerPid) {
        return new EmbeddedDatabaseUnavailable("Data directory " + dataDir + " is in use by another Creditmeter process"
                + ownerPid.map(pid -> " (pid " + pid + ")").orElse("") + ".",
                "Stop that process first, or start this one with another data directory"
                        + " (CREDITMETER_DATA_DIR or --creditmeter.data-dir).");
    }
}
