package dev.creditmeter.web;

import dev.creditmeter.Api;
import dev.creditmeter.ApiTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Errors that no controller writes (the security firewall, the container's error dispatch, the error
 * path itself) are problem+json like every other error, never Spring Boot's default error JSON.
 */
class ErrorsOutsideControllersTest extends ApiTest {

    @Test
    void aRequestTheSecurityFirewallRejectsGetsProblemJson() {
        // A path parameter is refused by Spring Security's firewall before any controller or handler runs.
        var response = api.get(adminKey(), "/api/v1/credits/balance;jsessionid=x?user_id=" + newUserId());

        assertProblem(response, 400, "Bad Request");
    }

    @Test
    void theErrorPathCalledDirectlyAnswersProblemJson() {
        var anonymous = api.get(null, "/error");
        var withKey = api.post(adminKey(), "/error", "{}");

        assertProblem(anonymous, 404, "Not Found");
        assertProblem(withKey, 404, "Not Found");
    }

    private static void assertProblem(Api.Response response, int status, String title) {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.header("Content-Type")).as(response.body()).startsWith("application/problem+json");
        var problem = response.json();
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(problem.path("title").asString()).isEqualTo(title);
        assertThat(problem.path("detail").asString()).isNotBlank();
        assertThat(problem.has("timestamp")).as("Spring Boot's default error body").isFalse();
        assertThat(problem.has("error")).as("Spring Boot's default error body").isFalse();
    }
}
