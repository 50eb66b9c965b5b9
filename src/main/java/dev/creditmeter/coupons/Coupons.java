package dev.creditmeter.coupons;

import dev.creditmeter.credits.Money;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.json.JsonMapper;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The coupon tables: coupon_codes, coupon_redemptions and the failed attempts that throttle guessing.
 * A redemption's use is claimed with ONE guarded UPDATE, so max_uses holds under concurrency; the
 * UNIQUE (code, user_id) of coupon_redemptions makes "once per user" hold.
 */
@Repository
class Coupons {

    private static final String COLUMNS = """
            code, coupon_type, value_micros, description, max_uses, used_count, expires_at, is_active, created_by,
            created_at, updated_at""";

    /** Redeemable at :now: active, not expired, uses left. */
    private static final String REDEEMABLE = """
            is_active and (expires_at is null or expires_at > :now) and (max_uses is null or used_count < max_uses)""";

    private static final String REDEMPTION_COLUMNS = """
            id, code, user_id, coupon_type, value_micros, credits_awarded_micros, metadata::text as metadata, redeemed_at""";

    private final JdbcClient jdbc;
    private final JsonMapper json;

    Coupons(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Empty when the code is taken. */
    Optional<Coupon> insert(String code, CouponType type, Money value, String description, Integer maxUses,
                            Instant expiresAt, String createdBy, Instant now) {
        return jdbc.sql("""
                        insert into coupon_codes (code, coupon_type, value_micros, description, max_uses, expires_at,
                                                  created_by, created_at, updated_at)
                        values (:code, :type, :value, :description, :maxUses, :expiresAt, :createdBy, :now, :now)
                        on conflict (code) do nothing
                        returning %s
                        """.formatted(COLUMNS))
                .param("code", code)
                .param("type", type.wireName())
                .param("value", value.micros())
                .param("description", description)
                .param("maxUses", maxUses)
                .param("expiresAt", timestamp(expiresAt))
                .param("createdBy", createdBy)
                .param("now", timestamp(now))
                .query(Coupons::coupon).optional();
    }

    Optional<Coupon> find(String code) {
        return jdbc.sql("select " + COLUMNS + " from coupon_codes where code = :code")
                .param("code", code).query(Coupons::coupon).optional();
    }

    /**
     * Takes one use of a redeemable coupon that the user has not redeemed yet, in one statement: the row
     * lock makes concurrent claims queue, and each re-checks the guard after the one before it committed.
     * Empty when any check fails; the caller then asks {@link #find} and {@link #redeemed} which one.
     */
    Optional<Coupon> claim(String code, String userId, Instant now) {
        return jdbc.sql("""
                        update coupon_codes set used_count = used_count + 1, updated_at = :now
                        where code = :code and %s
                          and not exists (select 1 from coupon_redemptions r
                                          where r.code = coupon_codes.code and r.user_id = :userId)
                        returning %s
                        """.formatted(REDEEMABLE, COLUMNS))
                .param("code", code)
                .param("userId", userId)
                .param("now", timestamp(now))
                .query(Coupons::coupon).optional();
    }

    boolean redeemed(String code, String userId) {
        return jdbc.sql("select exists (select 1 from coupon_redemptions where code = :code and user_id = :userId)")
                .param("code", code).param("userId", userId).query(Boolean.class).single();
    }

    /**
     * Records a redemption.
     *
     * @throws org.springframework.dao.DuplicateKeyException when the user redeemed this coupon before
     */
    Redemption recordRedemption(Coupon coupon, String userId, Money creditsAwarded, Map<String, Object> metadata,
                                Instant now) {
        return jdbc.sql("""
                        insert into coupon_redemptions (code, user_id, coupon_type, value_micros, credits_awarded_micros,
                                                        metadata, redeemed_at)
                        values (:code, :userId, :type, :value, :credits, cast(:metadata as jsonb), :now)
                        returning %s
                        """.formatted(REDEMPTION_COLUMNS))
                .param("code", coupon.code())
                .param("userId", userId)
                .param("type", coupon.type().wireName())
                .param("value", coupon.value().micros())
                .param("credits", creditsAwarded.micros())
                .param("metadata", json.writeValueAsString(metadata == null ? Map.of() : metadata))
                .param("now", timestamp(now))
                .query(this::redemption).single();
    }

    /** Newest first; {@code redeemableOnly} keeps the coupons that could be redeemed at {@code now}. */
    List<Coupon> page(boolean redeemableOnly, Instant now, int limit, int offset) {
        return jdbc.sql("""
                        select %s from coupon_codes
                        where not :redeemableOnly or (%s)
                        order by created_at desc, code desc
                        limit :limit offset :offset
                        """.formatted(COLUMNS, REDEEMABLE))
                .param("redeemableOnly", redeemableOnly)
                .param("now", timestamp(now))
                .param("limit", limit)
                .param("offset", offset)
                .query(Coupons::coupon).list();
    }

    long count(boolean redeemableOnly, Instant now) {
        return jdbc.sql("select count(*) from coupon_codes where not :redeemableOnly or (" + REDEEMABLE + ")")
                .param("redeemableOnly", redeemableOnly)
                .param("now", timestamp(now))
                .query(Long.class).single();
    }

    /** Soft delete; empty when the code does not exist. Deactivating twice is harmless. */
    Optional<Coupon> deactivate(String code, Instant now) {
        return jdbc.sql("update coupon_codes set is_active = false, updated_at = :now where code = :code returning " + COLUMNS)
                .param("code", code).param("now", timestamp(now))
                .query(Coupons::coupon).optional();
    }

    List<Redemption> redemptions(String userId, int limit, int offset) {
        return jdbc.sql("""
                        select %s from coupon_redemptions where user_id = :userId
                        order by id desc limit :limit offset :offset
                        """.formatted(REDEMPTION_COLUMNS))
                .param("userId", userId).param("limit", limit).param("offset", offset)
                .query(this::redemption).list();
    }

    long redemptionCount(String userId) {
        return jdbc.sql("select count(*) from coupon_redemptions where user_id = :userId")
                .param("userId", userId).query(Long.class).single();
    }

    /**
     * Serialises one user's redemption attempts (until the transaction ends), on every node, so that the
     * failed-attempt count cannot be outrun by parallel requests.
     */
    void lockAttemptsOf(String userId) {
        jdbc.sql("select pg_advisory_xact_lock(hashtextextended('coupon.redeem:' || :userId, 0))")
                .param("userId", userId).query().singleValue();
    }

    void recordFailure(String userId, String code, String reason, Instant now) {
        jdbc.sql("""
                        insert into coupon_redemption_failures (user_id, code, reason, attempted_at)
                        values (:userId, :code, :reason, :now)
                        """)
                .param("userId", userId)
                .param("code", code)
                .param("reason", reason)
                .param("now", timestamp(now))
                .update();
    }

    /**
     * When the user has at least {@code limit} failures after {@code since}: the time of the one whose
     * leaving the window brings the count below the limit. Empty when the user is under the limit.
     */
    Optional<Instant> limitingFailure(String userId, Instant since, int limit) {
        return jdbc.sql("""
                        select attempted_at from coupon_redemption_failures
                        where user_id = :userId and attempted_at > :since
                        order by attempted_at desc
                        offset :skip limit 1
                        """)
                .param("userId", userId)
                .param("since", timestamp(since))
                .param("skip", limit - 1)
                .query((rs, n) -> instant(rs, "attempted_at")).optional();
    }

    int purgeFailuresOlderThan(Duration age) {
        return jdbc.sql("delete from coupon_redemption_failures where attempted_at < now() - cast(:age as interval)")
                .param("age", age.toSeconds() + " seconds").update();
    }

    private static Coupon coupon(ResultSet rs, int n) throws SQLException {
        int maxUses = rs.getInt("max_uses");
        Integer max = rs.wasNull() ? null : maxUses;
        return new Coupon(rs.getString("code"),
                CouponType.fromWire(rs.getString("coupon_type")).orElseThrow(),
                Money.ofMicros(rs.getLong("value_micros")), rs.getString("description"), max,
                rs.getInt("used_count"), instant(rs, "expires_at"), rs.getBoolean("is_active"),
                rs.getString("created_by"), instant(rs, "created_at"), instant(rs, "updated_at"));
    }

    private Redemption redemption(ResultSet rs, int n) throws SQLException {
        return new Redemption(rs.getLong("id"), rs.getString("code"), rs.getString("user_id"),
                rs.getString("coupon_type"), Money.ofMicros(rs.getLong("value_micros")),
                Money.ofMicros(rs.getLong("credits_awarded_micros")), json.readTree(rs.getString("metadata")),
                instant(rs, "redeemed_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    private static Timestamp timestamp(Instant instant) {
        return instant == null ? null : Timestamp.from(instant);
    }
}
