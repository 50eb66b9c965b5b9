package dev.creditmeter.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The clock of a node whose time jumps: the system clock plus an offset that the reliability harness writes, as a
 * number of seconds, into a file the node reads every 100 ms. A service process started with
 * {@code --reliability.clock-offset-file=PATH} reads it ({@link JumpingClockConfiguration}).
 */
final class JumpingClock extends Clock {

    private volatile Duration offset = Duration.ZERO;

    JumpingClock(Path file) {
        Thread.ofPlatform().daemon().name("jumping-clock").start(() -> follow(file));
    }
    private void follow(Path file) {
        while (true) {
            try {
                if (Files.exists(file)) {
                    offset = Duration.ofSeconds(Long.parseLong(Files.readString(file).strip()));
                }
            } catch (IOException | NumberFormatException halfWritten) {
                // read again in a moment
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public Instant instant() {
        return Instant.now().plus(offset);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("the service reads UTC");
    }
}
