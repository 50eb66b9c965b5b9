package dev.creditmeter.web;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Exempts a request field or path segment from {@link TextRules} at the edge because its feature answers
 * impossible values itself, in the contract's words: a coupon code that cannot exist is "not found",
 * not invalid. The feature must then never store or query the raw value.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT, ElementType.PARAMETER, ElementType.FIELD, ElementType.METHOD})
public @interface UncheckedText {
}
