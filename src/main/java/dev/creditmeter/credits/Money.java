package dev.creditmeter.credits;

import io.swagger.v3.oas.annotations.media.Schema;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.ValueSerializer;
import tools.jackson.databind.annotation.JsonDeserialize;
import tools.jackson.databind.annotation.JsonSerialize;
import tools.jackson.databind.exc.InvalidFormatException;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * An exact amount of credits, held as a count of micro-credits (1 credit = 1,000,000 micros).
 * On the wire it is a plain decimal number ({@code 45.5}, {@code 0.000032}); requests may also send
 * it as a numeric string. Parsing checks the magnitude before any arithmetic.
 */
@Schema(type = "number", types = "number", example = "45.5",
        description = "Credits, up to 6 decimals; requests may also send a numeric string")
@JsonSerialize(using = Money.Writer.class)
@JsonDeserialize(using = Money.Reader.class)
public record Money(long micros) implements Comparable<Money> {

    public static final Money ZERO = new Money(0);
    public static final long MICROS_PER_CREDIT = 1_000_000L;
    /** No single amount on the wire may exceed a billion credits. */
    public static final BigDecimal MAX_CREDITS = BigDecimal.valueOf(1_000_000_000L);
    private static final int MAX_TEXT_LENGTH = 64;

    public static Money ofMicros(long micros) {
        return new Money(micros);
    }

    public static Money ofCredits(long credits) {
        return new Money(Math.multiplyExact(credits, MICROS_PER_CREDIT));
    }

    /**
     * Parses a decimal amount of credits, rounding half-even to the micro once.
     *
     * @throws IllegalArgumentException with a message that starts with "must"
     */
    public static Money parse(String text) {
        String trimmed = text.strip();
        if (trimmed.isEmpty() || trimmed.length() > MAX_TEXT_LENGTH) {
            throw new IllegalArgumentException("must be a decimal number of credits");
        }
        BigDecimal value;
        try {
            value = new BigDecimal(trimmed);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be a decimal number of credits");
        }
        // precision - scale is the number of integer digits; this needs no arithmetic on the value.
        if (value.precision() - value.scale() > 10 || value.abs().compareTo(MAX_CREDITS) > 0) {
            throw new IllegalArgumentException("must be at most 1000000000 credits in magnitude");
        }
        if (value.precision() - value.scale() < -7) {
            return ZERO; // below half a micro: rounds to zero, and a huge negative exponent is never expanded
        }
        return new Money(value.setScale(6, RoundingMode.HALF_EVEN).movePointRight(6).longValueExact());
    }

    /** For configuration binding: the same rules as {@link #parse}. */
    public static Money valueOf(String text) {
        return parse(text);
    }

    public Money plus(Money other) {
        return new Money(Math.addExact(micros, other.micros));
    }

    public Money minus(Money other) {
        return new Money(Math.subtractExact(micros, other.micros));
    }

    public boolean isPositive() {
        return micros > 0;
    }

    public BigDecimal toCredits() {
        return BigDecimal.valueOf(micros, 6).stripTrailingZeros();
    }

    /** Plain notation, no trailing zeros: "45.5", "0.000032", "1". */
    @Override
    public String toString() {
        return toCredits().toPlainString();
    }

    @Override
    public int compareTo(Money other) {
        return Long.compare(micros, other.micros);
    }

    static final class Writer extends ValueSerializer<Money> {
        @Override
        public void serialize(Money value, JsonGenerator gen, SerializationContext context) {
            gen.writeNumber(value.toString());
        }
    }

    static final class Reader extends ValueDeserializer<Money> {
        @Override
        public Money deserialize(JsonParser p, DeserializationContext context) {
            JsonToken token = p.currentToken();
            if (token != JsonToken.VALUE_NUMBER_INT && token != JsonToken.VALUE_NUMBER_FLOAT
                    && token != JsonToken.VALUE_STRING) {
                throw InvalidFormatException.from(p, "must be a number", null, Money.class);
            }
            String text = p.getString();
            try {
                return parse(text);
            } catch (IllegalArgumentException e) {
                throw InvalidFormatException.from(p, e.getMessage(), text, Money.class);
            }
        }
    }
}
