package dev.creditmeter.pricing;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/** The model_prices catalogue. */
@Repository
class ModelPrices {

    private final JdbcClient jdbc;

    ModelPrices(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<ModelPrice> find(String model) {
        return jdbc.sql("""
                        select model, input_micros_per_million_tokens, output_micros_per_million_tokens, is_free,
                               source, effective_from
                        from model_prices where model = :model
                        """)
                .param("model", model).query(ModelPrices::row).optional();
    }

    List<ModelPrice> all() {
        return jdbc.sql("""
                        select model, input_micros_per_million_tokens, output_micros_per_million_tokens, is_free,
                               source, effective_from
                        from model_prices order by model
                        """)
                .query(ModelPrices::row).list();
    }

    private static ModelPrice row(java.sql.ResultSet rs, int n) throws java.sql.SQLException {
        return new ModelPrice(rs.getString("model"), rs.getLong("input_micros_per_million_tokens"),
                rs.getLong("output_micros_per_million_tokens"), rs.getBoolean("is_free"), rs.getString("source"),
                rs.getObject("effective_from", OffsetDateTime.class).toInstant());
    }

    /** A catalogue entry: micro-credits per million input and output tokens. */
    record ModelPrice(String model, long inputMicrosPerMillionTokens, long outputMicrosPerMillionTokens,
                      boolean free, String source, Instant effectiveFrom) {
    }
}
