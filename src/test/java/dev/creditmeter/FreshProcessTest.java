package dev.creditmeter;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The first money action of a new process, outside the shared test context where earlier requests have
 * already warmed everything up: nothing may depend on state that some other request settles first.
 */
class FreshProcessTest {

    private static final String CREDITS = "/api/v1/credits";

    @Test
    void aCouponRedemptionIsTheFirstMoneyActionOfANewProcess() throws Exception {
        Path dataDir = Path.of("target", "test-data", "fresh-" + UUID.randomUUID()).toAbsolutePath();
        ServiceProcess service = ServiceProcess.start(dataDir, Map.of());
        try {
            Api api = service.api();
            String admin = Files.readString(dataDir.resolve("admin.key")).strip();
            String user = "user-" + UUID.randomUUID();
            var key = api.post(admin, CREDITS + "/admin/api-keys",
                    "{\"user_id\":\"" + user + "\",\"role\":\"user\"}");
            assertThat(key.status()).as(key.body()).isEqualTo(201);
            var coupon = api.post(admin, CREDITS + "/coupons/create",
                    "{\"coupon_type\":\"credit_bonus\",\"value\":3,\"code\":\"FIRST-ACTION\"}");
            assertThat(coupon.status()).as(coupon.body()).isEqualTo(200);

            var redeemed = api.post(key.json().path("key").asString(), CREDITS + "/coupons/redeem",
                    "{\"code\":\"first-action\"}");

            assertThat(redeemed.status()).as(redeemed.body()).isEqualTo(200);
            assertThat(redeemed.json().path("credits_awarded").decimalValue()).isEqualByComparingTo("3");
            var balance = api.get(admin, CREDITS + "/balance?user_id=" + user).json();
            assertThat(balance.path("balance").decimalValue()).as("trial allowance + bonus").isEqualByComparingTo("8");
            assertThat(balance.path("tier").asString()).isEqualTo("trial");
        } finally {
            service.stop();
        }
    }
}
