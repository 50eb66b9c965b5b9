package dev.creditmeter.pricing;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** The model_prices catalogue. */
@Repository
class ModelPrices {

    /** Model ids such as {@code openai/gpt-4o} or {@code meta-llama/llama-3.1-8b-instruct:free}. */
    private static final Pattern MODEL_ID = Pattern.compile("[\\x21-\\x7E]{1,255}");

    private final JdbcClient jdbc;

    ModelPrices(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** 1 to 255 printable ASCII characters, no spaces. */
    static boolean isValidId(String model) {
        return model != null && MODEL_ID.matcher(model).matches();
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

    /** An admin's price: replaces whatever the row held, whoever set it. */
    ModelPrice putAdmin(String model, long inputMicros, long outputMicros, boolean free, Instant now) {
        return jdbc.sql("""
                        insert into model_prices as p (model, input_micros_per_million_tokens,
                            output_micros_per_million_tokens, is_free, source, effective_from, updated_at)
                        values (:model, :input, :output, :free, 'admin', :now, :now)
                        on conflict (model) do update
                            set input_micros_per_million_tokens = excluded.input_micros_per_million_tokens,
                                output_micros_per_million_tokens = excluded.output_micros_per_million_tokens,
                                is_free = excluded.is_free, source = 'admin',
                                effective_from = excluded.effective_from, updated_at = excluded.updated_at
                        returning model, input_micros_per_million_tokens, output_micros_per_million_tokens, is_free,
                                  source, effective_from
                        """)
                .param("model", model).param("input", inputMicros).param("output", outputMicros)
                .param("free", free).param("now", OffsetDateTime.ofInstant(now, ZoneOffset.UTC))
                .query(ModelPrices::row).single();
    }

    enum Synced { IMPORTED, UPDATED, UNCHANGED }

    /**
     * A price read from OpenRouter. A row an admin set is left alone (the override wins, also against a
     * concurrent sync: the conflict check reads the committed row); a row with the same price is not
     * touched; a changed price takes effect now.
     */
    Synced putSynced(String model, long inputMicros, long outputMicros, boolean free, Instant now) {
        return jdbc.sql("""
                        insert into model_prices as p (model, input_micros_per_million_tokens,
                            output_micros_per_million_tokens, is_free, source, effective_from, updated_at)
                        values (:model, :input, :output, :free, 'openrouter', :now, :now)
                        on conflict (model) do update
                            set input_micros_per_million_tokens = excluded.input_micros_per_million_tokens,
                                output_micros_per_million_tokens = excluded.output_micros_per_million_tokens,
                                is_free = excluded.is_free, source = 'openrouter',
                                effective_from = case
                                    when (p.input_micros_per_million_tokens, p.output_micros_per_million_tokens, p.is_free)
                                         is distinct from (excluded.input_micros_per_million_tokens,
                                                           excluded.output_micros_per_million_tokens, excluded.is_free)
                                    then excluded.effective_from else p.effective_from end,
                                updated_at = excluded.updated_at
                            where p.source <> 'admin'
                              and (p.input_micros_per_million_tokens, p.output_micros_per_million_tokens, p.is_free, p.source)
                                  is distinct from (excluded.input_micros_per_million_tokens,
                                                    excluded.output_micros_per_million_tokens, excluded.is_free, excluded.source)
                        returning (xmax = 0) as inserted
                        """)
                .param("model", model).param("input", inputMicros).param("output", outputMicros)
                .param("free", free).param("now", OffsetDateTime.ofInstant(now, ZoneOffset.UTC))
                .query((rs, n) -> rs.getBoolean("inserted") ? Synced.IMPORTED : Synced.UPDATED)
                .optional().orElse(Synced.UNCHANGED);
    }

    private static ModelPrice row(ResultSet rs, int n) throws SQLException {
        return new ModelPrice(rs.getString("model"), rs.getLong("input_micros_per_million_tokens"),
                rs.getLong("output_micros_per_million_tokens"), rs.getBoolean("is_free"), rs.getString("source"),
                rs.getObject("effective_from", OffsetDateTime.class).toInstant());
    }

    /** A catalogue entry: micro-credits per million input and output tokens. */
    record ModelPrice(String model, long inputMicrosPerMillionTokens, long outputMicrosPerMillionTokens,
                      boolean free, String source, Instant effectiveFrom) {
    }
}
