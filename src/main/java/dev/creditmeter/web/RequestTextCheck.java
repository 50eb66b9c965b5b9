package dev.creditmeter.web;

import org.springframework.core.MethodParameter;
import org.springframework.http.HttpInputMessage;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.RequestBodyAdviceAdapter;
import tools.jackson.databind.JsonNode;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Applies {@link TextRules} to every string of a typed request body, nested metadata keys and values
 * included, before a controller sees it: 422 naming each bad field. Raw bodies (a String or a JSON tree,
 * as the gateway and LiteLLM ingestion take them) are payloads their feature reads itself.
 */
@ControllerAdvice
class RequestTextCheck extends RequestBodyAdviceAdapter {

    private static final int MAX_ERRORS = 20;

    /** The checked components of each record type, read once per type. */
    private static final ClassValue<List<Component>> COMPONENTS = new ClassValue<>() {
        @Override
        protected List<Component> computeValue(Class<?> type) {
            var components = new ArrayList<Component>();
            for (RecordComponent component : type.getRecordComponents()) {
                if (component.isAnnotationPresent(UncheckedText.class)) {
                    continue;
                }
                try {
                    var accessor = component.getAccessor();
                    accessor.setAccessible(true);
                    components.add(new Component(snakeCase(component.getName()),
                            MethodHandles.lookup().unreflect(accessor)));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException("Cannot read " + type.getName() + "." + component.getName(), e);
                }
            }
            return List.copyOf(components);
        }
    };

    private record Component(String name, MethodHandle accessor) {
    }

    @Override
    public boolean supports(MethodParameter parameter, Type targetType,
                            Class<? extends HttpMessageConverter<?>> converterType) {
        Class<?> type = parameter.getParameterType();
        return type != String.class && !JsonNode.class.isAssignableFrom(type);
    }

    @Override
    public Object afterBodyRead(Object body, HttpInputMessage input, MethodParameter parameter, Type targetType,
                                Class<? extends HttpMessageConverter<?>> converterType) {
        var errors = new ArrayList<InvalidField>();
        walk(body, "", errors);
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
        return body;
    }

    private static void walk(Object value, String path, List<InvalidField> errors) {
        if (value == null || errors.size() >= MAX_ERRORS) {
            return;
        }
        switch (value) {
            case String text -> {
                String problem = TextRules.freeTextProblem(text);
                if (problem != null) {
                    errors.add(new InvalidField(path, problem));
                }
            }
            case Map<?, ?> map -> map.forEach((key, item) -> {
                String name = String.valueOf(key);
                String problem = TextRules.nameProblem(name);
                if (problem != null) {
                    errors.add(new InvalidField(path, "has a key that " + problem));
                } else {
                    walk(item, join(path, name), errors);
                }
            });
            case Collection<?> items -> {
                int index = 0;
                for (Object item : items) {
                    walk(item, path + "[" + index++ + "]", errors);
                }
            }
            case Record record -> {
                for (Component component : COMPONENTS.get(record.getClass())) {
                    walk(read(component, record), join(path, component.name()), errors);
                }
            }
            default -> {
                // numbers, booleans, money: nothing a database cannot store
            }
        }
    }

    private static Object read(Component component, Record record) {
        try {
            return component.accessor().invoke(record);
        } catch (Throwable e) {
            throw new IllegalStateException("Cannot read " + component.name(), e);
        }
    }

    /** The JSON name of a record component, as the snake_case naming of {@link JsonConfiguration} gives it. */
    private static String snakeCase(String name) {
        var snake = new StringBuilder(name.length() + 4);
        for (char c : name.toCharArray()) {
            if (Character.isUpperCase(c)) {
                snake.append('_').append(Character.toLowerCase(c));
            } else {
                snake.append(c);
            }
        }
        return snake.toString();
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }
}
