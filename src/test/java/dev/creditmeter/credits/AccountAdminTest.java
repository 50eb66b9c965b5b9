package dev.creditmeter.credits;

import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class AccountAdminTest extends ApiTest {

    private static final String ACCOUNTS = "/api/v1/credits/admin/accounts";

    @Test
    void searchesAccountsByUserIdWithPaging() {
        String tag = UUID.randomUUID().toString().substring(0, 8);
        for (String name : new String[]{"carol", "alice", "bob"}) {
            balanceOf(name + "-" + tag + "@Example.com");
        }
        allocate("100%_" + tag, "1"); // opens the account; the id needs no URL escaping in a body

        var page = api.get(adminKey(), ACCOUNTS + "?search=" + tag.toUpperCase() + "&limit=2");
        var rest = api.get(adminKey(), ACCOUNTS + "?search=" + tag + "&limit=2&offset=2");
        var literal = api.get(adminKey(), ACCOUNTS + "?search=%25_" + tag);

        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("X-Total-Count")).isEqualTo("4");
        assertThat(page.json().findValuesAsString("user_id")).containsExactly("100%_" + tag, "alice-" + tag + "@Example.com");
        assertThat(rest.json().findValuesAsString("user_id")).containsExactly("bob-" + tag + "@Example.com", "carol-" + tag + "@Example.com");
        assertThat(literal.json().findValuesAsString("user_id")).as("% and _ match themselves").containsExactly("100%_" + tag);
        assertThat(api.get(adminKey(), ACCOUNTS + "?limit=0").status()).isEqualTo(422);
    }

    @Test
    void showsOneAccountWithoutOpeningOne() {
        String user = newUserId();
        var missing = api.get(adminKey(), ACCOUNTS + "/" + user);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.detail()).isEqualTo("User " + user + " does not have a credit account");
        assertThat(api.get(adminKey(), "/api/v1/credits/transactions?user_id=" + user).body()).isEqualTo("[]");

        balanceOf(user);
        var found = api.get(adminKey(), ACCOUNTS + "/" + user);
        assertThat(found.status()).isEqualTo(200);
        assertThat(found.json().path("balance").decimalValue()).isEqualByComparingTo("5");
        assertThat(found.json().path("api_calls").path("limit").asInt()).isEqualTo(100);
        assertThat(api.get(keyFor(user, "user"), ACCOUNTS + "/" + user).status()).isEqualTo(403);
    }
}
