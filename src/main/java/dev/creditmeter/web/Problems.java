package dev.creditmeter.web;

import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.List;

/** Builds and writes RFC 9457 problem+json bodies, also outside Spring MVC (the security filters). */
@Component
public class Problems {

    private final JsonMapper json;

    Problems(JsonMapper json) {
        this.json = json;
    }

    public static ProblemDetail of(HttpStatus status, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(status.getReasonPhrase());
        return problem;
    }

    static ProblemDetail of(HttpStatus status, String detail, List<InvalidField> errors) {
        ProblemDetail problem = of(status, detail);
        if (!errors.isEmpty()) {
            problem.setProperty("errors", errors);
        }
        return problem;
    }

    public static ResponseEntity<Object> response(HttpStatus status, String detail) {
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(of(status, detail));
    }

    public byte[] bytes(ProblemDetail problem) {
        return json.writeValueAsBytes(problem);
    }

    public void write(HttpServletResponse response, HttpStatus status, String detail) throws IOException {
        response.setStatus(status.value());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.getOutputStream().write(bytes(of(status, detail)));
    }
}
