package dev.creditmeter.reliability;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

import java.nio.file.Path;

/**
 * Gives a service process the {@link JumpingClock} when it is started with {@code --reliability.clock-offset-file}:
 * an auto-configuration of the test classpath (listed in its {@code META-INF/spring/...AutoConfiguration.imports}),
 * so it reaches the nodes that the harness starts on that classpath and no other context. The service's own clock
 * bean stays; this one is primary, so it is the one every component is given.
 */
@AutoConfiguration
@ConditionalOnProperty("reliability.clock-offset-file")
class JumpingClockConfiguration {

    @Bean
    @Primary
    JumpingClock jumpingClock(@Value("${reliability.clock-offset-file}") Path file) {
        return new JumpingClock(file);
    }
}
