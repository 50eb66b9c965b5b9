package dev.creditmeter.web;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.TypeMismatchException;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.RecoverableDataAccessException;
import org.springframework.dao.TransientDataAccessResourceException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.transaction.TransactionException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.servlet.resource.NoResourceFoundException;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Maps every failure to problem+json. Client mistakes get a 4xx with a message that says what to fix;
 * anything else is a 500 whose body never carries exception text.
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);
    private static final Pattern SOURCE_LOCATION = Pattern.compile("\\s*\\((?:start marker )?at \\[Source:[^\\]]*\\]\\)");

    @ExceptionHandler(ApiException.class)
    ResponseEntity<Object> apiException(ApiException e) {
        return problem(e.status(), e.getMessage(), e.errors());
    }

    @ExceptionHandler(DataAccessException.class)
    ResponseEntity<Object> dataAccess(DataAccessException e) {
        if (DatabaseUnavailable.causedBy(e)) { // a lock wait beyond lock_timeout comes as an uncategorized one
            return DatabaseUnavailable.response(e);
        }
        if (e.getMostSpecificCause() instanceof SQLException sql && "22003".equals(sql.getSQLState())) {
            return problem(HttpStatus.BAD_REQUEST, "The amount would take the balance beyond its limit", List.of());
        }
        return unexpected(e);
    }

    /**
     * A database that cannot be reached is a 503 with Retry-After (see {@link DatabaseUnavailable}). A
     * transaction takes its connection when it begins and, if the connection dies, fails again on its
     * rollback: hence the transaction type among the data access ones.
     */
    @ExceptionHandler({DataAccessResourceFailureException.class, TransientDataAccessResourceException.class,
            RecoverableDataAccessException.class, TransactionException.class})
    ResponseEntity<Object> databaseUnavailable(Exception e) {
        if (DatabaseUnavailable.causedBy(e)) {
            return DatabaseUnavailable.response(e);
        }
        return e instanceof DataAccessException dataAccess ? dataAccess(dataAccess) : unexpected(e);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<Object> unexpected(Exception e) {
        log.error("Unexpected error", e);
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, "An unexpected error occurred", List.of());
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException e, HttpHeaders headers,
                                                                  HttpStatusCode status, WebRequest request) {
        Throwable cause = e.getCause();
        if (cause instanceof JacksonException jackson && jackson.getCause() instanceof RequestLimits.BodyTooLargeException tooLarge) {
            return problem(HttpStatus.CONTENT_TOO_LARGE, tooLarge.getMessage(), List.of());
        }
        if (cause instanceof RequestLimits.BodyTooLargeException tooLarge) {
            return problem(HttpStatus.CONTENT_TOO_LARGE, tooLarge.getMessage(), List.of());
        }
        if (cause instanceof StreamConstraintsException) {
            return problem(HttpStatus.BAD_REQUEST, "Malformed JSON: the document exceeds a limit (nesting deeper than "
                    + JsonConfiguration.MAX_NESTING_DEPTH + " levels or a number longer than "
                    + JsonConfiguration.MAX_NUMBER_LENGTH + " characters)", List.of());
        }
        if (cause instanceof InputCoercionException outOfRange) {
            // A well-formed number too large for its field (9223372036854775808 for a count) is an invalid
            // value like any other, not malformed JSON.
            return invalid(fieldPath(outOfRange), "is out of range");
        }
        if (cause instanceof StreamReadException parse) {
            return problem(HttpStatus.BAD_REQUEST, "Malformed JSON: " + withoutLocation(parse.getOriginalMessage()), List.of());
        }
        if (cause instanceof MismatchedInputException mismatch && mismatch.getPath().isEmpty()) {
            // Trailing content after the value, or a body that is not a JSON object at all.
            String message = mismatch.getOriginalMessage();
            if (message != null && message.startsWith("Trailing token")) {
                return problem(HttpStatus.BAD_REQUEST, "Malformed JSON: content after the JSON value", List.of());
            }
            return problem(HttpStatus.UNPROCESSABLE_CONTENT, "The request body must be a JSON object", List.of());
        }
        if (cause instanceof UnrecognizedPropertyException unknown) {
            return invalid(fieldPath(unknown), "is not a known field");
        }
        if (cause instanceof DatabindException binding) {
            String field = fieldPath(binding);
            // Our own value deserializers (money) say what is wrong in words that start with "must".
            String own = binding instanceof InvalidFormatException ? binding.getOriginalMessage() : null;
            String message = own != null && own.startsWith("must")
                    ? own
                    : "must be " + describe(binding instanceof MismatchedInputException m ? m.getTargetType() : null);
            var error = new InvalidField(field, message);
            return problem(HttpStatus.UNPROCESSABLE_CONTENT, field + ": " + message, List.of(error));
        }
        return problem(HttpStatus.BAD_REQUEST, "Malformed request body", List.of());
    }

    @Override
    protected ResponseEntity<Object> handleTypeMismatch(TypeMismatchException e, HttpHeaders headers,
                                                        HttpStatusCode status, WebRequest request) {
        String field = e.getPropertyName() != null ? e.getPropertyName() : "parameter";
        String message = "must be " + describe(e.getRequiredType());
        return problem(HttpStatus.UNPROCESSABLE_CONTENT, field + ": " + message, List.of(new InvalidField(field, message)));
    }

    @Override
    protected ResponseEntity<Object> handleMissingServletRequestParameter(MissingServletRequestParameterException e,
                                                                          HttpHeaders headers, HttpStatusCode status,
                                                                          WebRequest request) {
        var error = new InvalidField(e.getParameterName(), "is required");
        return problem(HttpStatus.UNPROCESSABLE_CONTENT, e.getParameterName() + ": is required", List.of(error));
    }

    @Override
    protected ResponseEntity<Object> handleHttpMediaTypeNotSupported(HttpMediaTypeNotSupportedException e,
                                                                     HttpHeaders headers, HttpStatusCode status,
                                                                     WebRequest request) {
        return problem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json", List.of());
    }

    @Override
    protected ResponseEntity<Object> handleNoResourceFoundException(NoResourceFoundException e, HttpHeaders headers,
                                                                    HttpStatusCode status, WebRequest request) {
        return problem(HttpStatus.NOT_FOUND, "No such route", List.of());
    }

    /** Everything Spring MVC itself rejects (405, 406, …) keeps its status with a plain title and detail. */
    @Override
    protected ResponseEntity<Object> handleExceptionInternal(Exception e, Object body, HttpHeaders headers,
                                                             HttpStatusCode status, WebRequest request) {
        HttpStatus resolved = HttpStatus.valueOf(status.value());
        String detail = body instanceof ProblemDetail problem && problem.getDetail() != null
                ? problem.getDetail() : resolved.getReasonPhrase();
        return ResponseEntity.status(resolved).headers(headers).contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(Problems.of(resolved, detail));
    }

    private static ResponseEntity<Object> invalid(String field, String message) {
        return problem(HttpStatus.UNPROCESSABLE_CONTENT, field + ": " + message, List.of(new InvalidField(field, message)));
    }

    private static ResponseEntity<Object> problem(HttpStatus status, String detail, List<InvalidField> errors) {
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(Problems.of(status, detail, errors));
    }

    /** The parser's messages may point at a source location; clients get the reason only. */
    private static String withoutLocation(String message) {
        return message == null ? "unreadable content"
                : SOURCE_LOCATION.matcher(message).replaceAll("").strip();
    }

    private static String fieldPath(JacksonException e) {
        if (e.getPath().isEmpty() && e.processor() instanceof JsonParser parser
                && parser.streamReadContext().currentName() != null) {
            return parser.streamReadContext().currentName();
        }
        String path = e.getPath().stream()
                .map(ref -> ref.getPropertyName() != null ? ref.getPropertyName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."))
                .replace(".[", "[");
        return path.isEmpty() ? "body" : path;
    }

    private static String describe(Class<?> type) {
        if (type == null) {
            return "of another type";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "a boolean";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (Number.class.isAssignableFrom(type)) {
            return "a number";
        }
        if (Map.class.isAssignableFrom(type)) {
            return "an object";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        if (type.isEnum()) {
            return "one of " + List.of(type.getEnumConstants());
        }
        return "of another type";
    }
}
