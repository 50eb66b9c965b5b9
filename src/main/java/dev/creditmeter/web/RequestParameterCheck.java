package dev.creditmeter.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.tomcat.util.http.InvalidParameterException;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.MethodParameter;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Query parameters and path segments of the {@code /api/v1/credits/**} routes, before the route runs: a
 * parameter the route does not take is refused with 422 naming it (so {@code ?userid=alice} cannot
 * silently act on the caller instead), and every value must pass {@link TextRules}.
 */
@Configuration(proxyBeanMethods = false)
class RequestParameterCheck implements HandlerInterceptor, WebMvcConfigurer {

    private static final int MAX_ERRORS = 20;
    private static final ParameterNameDiscoverer NAMES = new DefaultParameterNameDiscoverer();

    /** The query parameters each route method takes, read once per method. */
    private final Map<HandlerMethod, Set<String>> known = new ConcurrentHashMap<>();

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this).addPathPatterns("/api/v1/credits/**");
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if (!(handler instanceof HandlerMethod method)) {
            return true;
        }
        var errors = new ArrayList<InvalidField>();
        Set<String> taken = known.computeIfAbsent(method, RequestParameterCheck::parameterNames);
        parameters(request).forEach((name, values) -> {
            if (errors.size() >= MAX_ERRORS) {
                return;
            }
            String nameProblem = TextRules.nameProblem(name);
            if (nameProblem != null) {
                errors.add(new InvalidField("query", "has a parameter name that " + nameProblem));
            } else if (!taken.contains(name)) {
                errors.add(new InvalidField(name, "is not a parameter of this route"));
            } else {
                for (String value : values) {
                    String problem = TextRules.nameProblem(value);
                    if (problem != null) {
                        errors.add(new InvalidField(name, problem));
                        break;
                    }
                }
            }
        });
        if (request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE) instanceof Map<?, ?> variables) {
            for (MethodParameter parameter : method.getMethodParameters()) {
                PathVariable path = parameter.getParameterAnnotation(PathVariable.class);
                if (path == null || parameter.hasParameterAnnotation(UncheckedText.class)) {
                    continue;
                }
                String name = name(parameter, path.name().isEmpty() ? path.value() : path.name());
                if (variables.get(name) instanceof String value && TextRules.nameProblem(value) != null) {
                    errors.add(new InvalidField(name, TextRules.nameProblem(value)));
                }
            }
        }
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
        return true;
    }

    /**
     * The decoded parameters. Tomcat refuses to decode malformed UTF-8 (an encoded lone surrogate, say), and
     * acting without the parameter would act on the wrong user, so that is a 422 too, as is a name the
     * security firewall refuses.
     */
    private static Map<String, String[]> parameters(HttpServletRequest request) {
        try {
            return request.getParameterMap();
        } catch (InvalidParameterException e) {
            throw ApiException.invalid("query", "must be valid percent-encoded UTF-8");
        } catch (RequestRejectedException e) {
            // Spring Security's firewall refuses control characters in parameter names as it reads them.
            throw ApiException.invalid("query", "has a parameter name with characters that are not allowed");
        }
    }

    private static Set<String> parameterNames(HandlerMethod method) {
        Set<String> names = new HashSet<>();
        for (MethodParameter parameter : method.getMethodParameters()) {
            RequestParam param = parameter.getParameterAnnotation(RequestParam.class);
            if (param != null) {
                names.add(name(parameter, param.name().isEmpty() ? param.value() : param.name()));
            }
        }
        return Set.copyOf(names);
    }

    private static String name(MethodParameter parameter, String declared) {
        if (!declared.isEmpty()) {
            return declared;
        }
        parameter.initParameterNameDiscovery(NAMES);
        return parameter.getParameterName();
    }
}
