package dev.creditmeter;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a refused start into Spring Boot's short "APPLICATION FAILED TO START" report instead of a stack trace. */
class DataDirectoryInUseFailureAnalyzer extends AbstractFailureAnalyzer<DataDirectoryLock.InUseException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, DataDirectoryLock.InUseException cause) {
        return new FailureAnalysis(cause.description(), DataDirectoryLock.InUseException.ACTION, cause);
    }
}
