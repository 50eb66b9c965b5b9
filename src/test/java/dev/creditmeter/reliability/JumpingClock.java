package dev.creditmeter.reliability;

import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

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
 * number of seconds, into a file the node reads every 100 ms. Put into a service process with
 * {@code --context.initializer.classes=dev.creditmeter.reliability.JumpingClock} and
 * {@code --reliability.clock-offset-file=PATH}; it registers the one {@link Clock} bean the service reads (the
 * service's own is conditional on there being none).
 */
public final class JumpingClock extends Clock implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    private volatile Duration offset = Duration.ZERO;

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        Path file = Path.of(context.getEnvironment().getRequiredProperty("reliability.clock-offset-file"));
        var reader = Thread.ofPlatform().daemon().name("jumping-clock").unstarted(() -> follow(file));
        reader.start();
        context.getBeanFactory().registerSingleton("clock", this);
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
