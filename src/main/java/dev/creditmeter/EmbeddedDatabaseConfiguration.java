package dev.creditmeter;

import com.zaxxer.hikari.HikariDataSource;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Without {@code spring.datasource.url} the service runs its own PostgreSQL under the data directory;
 * with it, Spring Boot's usual data source takes over and this configuration stays out of the way.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(EmbeddedDatabaseConfiguration.NoDataSourceUrl.class)
class EmbeddedDatabaseConfiguration {

    @Bean(destroyMethod = "close")
    EmbeddedDatabase embeddedDatabase(@Value("${creditmeter.data-dir}") Path dataDir) throws IOException {
        return EmbeddedDatabase.start(dataDir.toAbsolutePath().normalize());
    }

    @Bean
    @ConfigurationProperties("spring.datasource.hikari")
    HikariDataSource dataSource(EmbeddedDatabase database) {
        return DataSourceBuilder.create()
                .type(HikariDataSource.class)
                .url(database.jdbcUrl())
                .username(database.username())
                .password(database.password())
                .build();
    }

    static class NoDataSourceUrl implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            String url = context.getEnvironment().getProperty("spring.datasource.url");
            return url == null || url.isBlank();
        }
    }
}
