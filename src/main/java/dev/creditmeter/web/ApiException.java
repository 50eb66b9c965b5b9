package dev.creditmeter.web;

import org.springframework.http.HttpStatus;

import java.util.List;

/**
 * A client error with the text the contract gives for it; the problem handler turns it into problem+json.
 * Expected business outcomes are results, not exceptions: this is for requests that cannot proceed.
 */
public class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final List<InvalidField> errors;

    public ApiException(HttpStatus status, String detail) {
        this(status, detail, List.of());
    }

    private ApiException(HttpStatus status, String detail, List<InvalidField> errors) {
        super(detail, null, false, false);
        this.status = status;
        this.errors = List.copyOf(errors);
    }

    public static ApiException badRequest(String detail) {
        return new ApiException(HttpStatus.BAD_REQUEST, detail);
    }

    public static ApiException notFound(String detail) {
        return new ApiException(HttpStatus.NOT_FOUND, detail);
    }

    public static ApiException invalid(List<InvalidField> errors) {
        String detail = errors.size() == 1
                ? errors.getFirst().field() + ": " + errors.getFirst().message()
                : "Request validation failed";
        return new ApiException(HttpStatus.UNPROCESSABLE_CONTENT, detail, errors);
    }

    /** A 422 whose detail is the contract's own text rather than "field: message". */
    public static ApiException invalid(String detail, InvalidField error) {
        return new ApiException(HttpStatus.UNPROCESSABLE_CONTENT, detail, List.of(error));
    }

    public static ApiException invalid(String field, String message) {
        return invalid(List.of(new InvalidField(field, message)));
    }

    public HttpStatus status() {
        return status;
    }

    public List<InvalidField> errors() {
        return errors;
    }
}
