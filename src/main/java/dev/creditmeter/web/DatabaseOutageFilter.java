package dev.creditmeter.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;

/**
 * Turns a database failure that escapes the filter chain into the same 503 the controllers give. The
 * API-key lookup runs in a security filter, outside Spring MVC and its exception handlers; without this,
 * its failures reached the servlet container and came back as a 500 in Spring Boot's default error JSON.
 * Runs before the security filters so that it sees what they throw.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 2)
class DatabaseOutageFilter extends OncePerRequestFilter {

    private final Problems problems;

    DatabaseOutageFilter(Problems problems) {
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        try {
            chain.doFilter(request, response);
        } catch (RuntimeException | ServletException | IOException e) {
            // Once the status line has left, the client can only see the connection close.
            if (response.isCommitted() || !DatabaseUnavailable.causedBy(e)) {
                throw e;
            }
            DatabaseUnavailable.write(response, problems, e);
        }
    }
}
