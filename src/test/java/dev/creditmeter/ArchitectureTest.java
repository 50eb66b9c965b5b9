package dev.creditmeter;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;
import org.springframework.stereotype.Repository;
import org.springframework.web.bind.annotation.RestController;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/** Keeps the package-by-feature layout of design.md §2 true as the code grows. */
class ArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.creditmeter");

    /** The platform packages every feature may use; they use no feature. */
    private static final String[] PLATFORM = {"dev.creditmeter.web..", "dev.creditmeter.identity..",
            "dev.creditmeter.audit..", "dev.creditmeter.jobs..", "java..", "javax..", "jakarta..", "org..", "tools.jackson..",
            "com.fasterxml..", "io.swagger..", "io.micrometer..", "com.zaxxer.."};

    @Test
    void featurePackagesHaveNoCycles() {
        slices().matching("dev.creditmeter.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void creditsDependsOnNoOtherFeature() {
        classes().that().resideInAPackage("dev.creditmeter.credits..")
                .should().onlyDependOnClassesThat().resideInAnyPackage(concat("dev.creditmeter.credits..", PLATFORM))
                .check(CLASSES);
    }

    /**
     * An interface of credits implemented by another feature would let credits call that feature at run
     * time, a cycle the package rules above cannot see (credits once learnt tier allowances that way).
     */
    @Test
    void noOtherFeatureImplementsAnInterfaceOfCredits() {
        noClasses().that().resideOutsideOfPackage("dev.creditmeter.credits..")
                .should().implement(JavaClass.Predicates.resideInAPackage("dev.creditmeter.credits.."))
                .check(CLASSES);
    }

    /** byok, pricing and the gateway all call OpenRouter through its own package, which knows none of them. */
    @Test
    void theOpenRouterClientDependsOnNoFeature() {
        classes().that().resideInAPackage("dev.creditmeter.openrouter..")
                .should().onlyDependOnClassesThat().resideInAnyPackage(concat("dev.creditmeter.openrouter..", PLATFORM))
                .check(CLASSES);
    }

    @Test
    void platformPackagesDependOnNoFeature() {
        noClasses().that().resideInAnyPackage("dev.creditmeter.web..", "dev.creditmeter.identity..", "dev.creditmeter.audit..",
                        "dev.creditmeter.jobs..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.creditmeter.credits..", "dev.creditmeter.usage..",
                        "dev.creditmeter.pricing..", "dev.creditmeter.tiers..", "dev.creditmeter.coupons..",
                        "dev.creditmeter.byok..", "dev.creditmeter.gateway..", "dev.creditmeter.events..")
                .check(CLASSES);
    }

    @Test
    void controllersAndRepositoriesArePackagePrivate() {
        classes().that().areAnnotatedWith(RestController.class).or().areAnnotatedWith(Repository.class)
                .should().notBePublic().check(CLASSES);
    }

    @Test
    void noFeatureUsesJpa() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("jakarta.persistence..", "org.hibernate..")
                .check(CLASSES);
    }

    private static String[] concat(String first, String[] rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
