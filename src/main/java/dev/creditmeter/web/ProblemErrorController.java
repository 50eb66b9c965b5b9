package dev.creditmeter.web;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.net.URI;

/**
 * The servlet container's error page, in place of Spring Boot's: whatever ends here (a request the
 * security firewall rejected, a failure thrown from a filter, a {@code sendError}) is answered in
 * problem+json like every other error, with a fixed text per status and never the exception's.
 */
@RestController
@RequestMapping("${server.error.path:/error}")
class ProblemErrorController implements ErrorController {

    @RequestMapping
    ResponseEntity<Object> error(HttpServletRequest request) {
        Throwable failure = request.getAttribute(RequestDispatcher.ERROR_EXCEPTION) instanceof Throwable t ? t : null;
        if (failure != null && DatabaseUnavailable.causedBy(failure)) {
            return DatabaseUnavailable.response(failure);
        }
        // Without a status the container did not send us here: someone asked for the error path itself.
        HttpStatus status = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE) instanceof Integer code
                ? HttpStatus.resolve(code) : HttpStatus.NOT_FOUND;
        if (status == null || !status.isError()) {
            status = HttpStatus.INTERNAL_SERVER_ERROR;
        }
        ProblemDetail problem = Problems.of(status, detail(status));
        problem.setInstance(originalUri(request));
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
    }

    private static String detail(HttpStatus status) {
        return switch (status) {
            case BAD_REQUEST -> "The request was rejected as malformed";
            case NOT_FOUND -> "No such route";
            case INTERNAL_SERVER_ERROR -> "An unexpected error occurred";
            default -> status.getReasonPhrase();
        };
    }

    /** The path the client asked for, not /error; left out when it is not a valid URI reference. */
    private static URI originalUri(HttpServletRequest request) {
        Object path = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        if (!(path instanceof String uri)) {
            return null;
        }
        try {
            return URI.create(uri);
        } catch (IllegalArgumentException notAUri) {
            return null;
        }
    }
}
