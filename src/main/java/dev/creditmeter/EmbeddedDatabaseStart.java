package dev.creditmeter;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The embedded PostgreSQL, started on a thread of its own as soon as the configuration is known,
 * before Spring reads the bean definitions: the server comes up while the context is built, and the
 * {@code embeddedDatabase} bean only waits for it. This bean owns the server and stops it when the
 * context closes, also when the context failed before it used the server.
 */
final class EmbeddedDatabaseStart implements DisposableBean {

    static final String BEAN_NAME = "embeddedDatabaseStart";

    private final CompletableFuture<EmbeddedDatabase> database = new CompletableFuture<>();

    private EmbeddedDatabaseStart(Path dataDir) {
        Thread.ofPlatform().name("embedded-postgres-start").daemon().start(() -> {
            try {
                database.complete(EmbeddedDatabase.start(dataDir));
            } catch (Throwable e) {
                database.completeExceptionally(e);
            }
        });
    }

    /** Waits until the server accepts connections; a failed start throws what {@link EmbeddedDatabase#start} threw. */
    EmbeddedDatabase await() throws IOException {
        try {
            return database.join();
        } catch (CompletionException e) {
            switch (e.getCause()) {
                case IOException io -> throw io;
                case RuntimeException runtime -> throw runtime;
                case Error error -> throw error;
                default -> throw e;
            }
        }
    }

    @Override
    public void destroy() {
        try {
            database.join().close();
        } catch (CompletionException notStarted) {
            // nothing to stop
        }
    }

    /** Registered in META-INF/spring.factories: runs once the environment and the context exist, before refresh. */
    static class Starter implements ApplicationListener<ApplicationPreparedEvent> {

        @Override
        public void onApplicationEvent(ApplicationPreparedEvent event) {
            ConfigurableApplicationContext context = event.getApplicationContext();
            if (!EmbeddedDatabaseConfiguration.embedded(context.getEnvironment())) {
                return;
            }
            Path dataDir = Path.of(context.getEnvironment().getRequiredProperty("creditmeter.data-dir"));
            var start = new EmbeddedDatabaseStart(dataDir.toAbsolutePath().normalize());
            var beans = (DefaultSingletonBeanRegistry) context.getBeanFactory();
            beans.registerSingleton(BEAN_NAME, start);
            beans.registerDisposableBean(BEAN_NAME, start);
        }
    }
}
