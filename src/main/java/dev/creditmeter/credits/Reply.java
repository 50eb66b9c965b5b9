package dev.creditmeter.credits;

import dev.creditmeter.web.Problems;
import org.springframework.http.HttpStatus;

/** The answer to a money-moving request: a status and a body (a view, or a problem for a business refusal). */
public record Reply(HttpStatus status, Object body) {

    public static Reply ok(Object body) {
        return new Reply(HttpStatus.OK, body);
    }

    public static Reply problem(HttpStatus status, String detail) {
        return new Reply(status, Problems.of(status, detail));
    }

    boolean isProblem() {
        return body instanceof org.springframework.http.ProblemDetail;
    }
}
