package dev.creditmeter.identity;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Who the caller is: the dashboard shows the admin areas to admins only (the admin routes refuse others anyway). */
@RestController
@Tag(name = "Identity")
class CallerController {

    record Me(String userId, String role) {
    }

    @GetMapping("/api/v1/credits/me")
    @Operation(summary = "The caller's user id and role (`user`, `admin` or `service`)")
    Me me(Caller caller) {
        return new Me(caller.userId(), caller.role().wireName());
    }
}
