package dev.creditmeter.tiers;

import dev.creditmeter.credits.Account;
import dev.creditmeter.credits.CreditBalance;
import dev.creditmeter.credits.CreditService;
import dev.creditmeter.identity.Caller;
import dev.creditmeter.web.ApiException;
import dev.creditmeter.web.Validation;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.Collections;
import java.util.List;

/**
 * The balance as clients see it: the account from credits with the call quota from tiers. It lives here,
 * not in credits, because credits depends on no other feature; tiers may read both.
 */
@RestController
class BalanceController {

    private static final List<MediaType> JSON = List.of(MediaType.APPLICATION_JSON);
    private static final MediaType ANY_JSON = new MediaType("application", "*+json");

    private final CreditService credits;
    private final CallQuotas quotas;
    private final ObjectWriter balanceWriter;

    BalanceController(CreditService credits, CallQuotas quotas, JsonMapper json) {
        this.credits = credits;
        this.quotas = quotas;
        this.balanceWriter = json.writerFor(CreditBalance.class);
    }

    /**
     * Writes its JSON itself, with the service's mapper, instead of returning the value: GET /balance is the
     * hottest read, and Spring MVC's content negotiation and message-converter lookup for a returned value
     * took about a third of the time it spent writing the answer (JFR, bench/run's balance scenario). The
     * answer is the same bytes; a client that accepts no JSON still gets 406.
     */
    @GetMapping("/api/v1/credits/balance")
    @Tag(name = "Credits")
    @Operation(summary = "The caller's balance (created with the trial allowance on first call) and call quota; "
            + "admins and services may name a user_id")
    @ApiResponse(responseCode = "200", description = "OK", content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
            schema = @Schema(implementation = CreditBalance.class)))
    void balance(Caller caller, @RequestParam(name = "user_id", required = false) String userId,
                 HttpServletRequest request, HttpServletResponse response)
            throws IOException, HttpMediaTypeNotAcceptableException {
        String target = caller.target(userId);
        new Validation().optionalText(target, "user_id").throwIfInvalid();
        if (!acceptsJson(request)) {
            throw new HttpMediaTypeNotAcceptableException(JSON);
        }
        byte[] body = balanceWriter.writeValueAsBytes(quotas.balance(target));
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /** Whether the Accept header, if any, admits application/json (as Spring MVC's negotiation decides). */
    private static boolean acceptsJson(HttpServletRequest request) {
        String accept = request.getHeader(HttpHeaders.ACCEPT);
        if (accept == null || accept.equals("*/*") || accept.equals(MediaType.APPLICATION_JSON_VALUE)) {
            return true;
        }
        List<MediaType> accepted;
        try {
            accepted = MediaType.parseMediaTypes(Collections.list(request.getHeaders(HttpHeaders.ACCEPT)));
        } catch (IllegalArgumentException e) {
            return false;
        }
        return accepted.stream().anyMatch(type -> type.isCompatibleWith(MediaType.APPLICATION_JSON)
                || type.isCompatibleWith(ANY_JSON));
    }

    @GetMapping("/api/v1/credits/admin/accounts/{userId}")
    @Tag(name = "Admin")
    @Operation(summary = "One user's account with its call quota, without opening one (admin)")
    CreditBalance account(@PathVariable String userId) {
        Account account = credits.findAccount(userId)
                .orElseThrow(() -> ApiException.notFound("User " + userId + " does not have a credit account"));
        return CreditBalance.of(account, quotas.apiCalls(account));
    }
}
