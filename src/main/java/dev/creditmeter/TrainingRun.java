package dev.creditmeter;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationContext;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;

/**
 * With {@code creditmeter.training-run=true} the service answers one health check of its own and
 * stops as soon as it accepts traffic. The build starts it that way to record the JDK's AOT cache
 * (pom.xml, profile {@code aot-cache}): the classes of a start and of a first request are then in it.
 */
@Component
@ConditionalOnBooleanProperty("creditmeter.training-run")
class TrainingRun {

    private static final Logger log = LoggerFactory.getLogger(TrainingRun.class);

    private final ApplicationContext context;

    TrainingRun(ApplicationContext context) {
        this.context = context;
    }

    @EventListener
    void onReadiness(AvailabilityChangeEvent<ReadinessState> event) {
        if (event.getState() != ReadinessState.ACCEPTING_TRAFFIC) {
            return;
        }
        String port = context.getEnvironment().getRequiredProperty("local.server.port");
        try (InputStream health = URI.create("http://127.0.0.1:" + port + "/actuator/health").toURL().openStream()) {
            health.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("The training run's health check failed", e);
        }
        log.info("Training run complete: stopping");
        System.exit(SpringApplication.exit(context));
    }
}
