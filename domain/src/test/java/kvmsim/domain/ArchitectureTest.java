package kvmsim.domain;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The domain's shape, checked on its compiled classes: pure (no Pekko, Jackson, I/O, threads or
 * clocks), no package depending on itself through others, and layers that only look down: ABI facts
 * and policies, the entity protocol, the entities, the kernel's cross-entity functions, the trace
 * ops, then audit, engines and history.
 */
class ArchitectureTest {

    private static final JavaClasses DOMAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("kvmsim.domain");

    @Test
    void noPackageDependsOnItselfThroughOthers() {
        slices().matching("kvmsim.domain.(**)").should().beFreeOfCycles().check(DOMAIN);
    }

    @Test
    void theModelIsPure() {
        noClasses().that().resideInAPackage("kvmsim.domain..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.pekko..", "com.fasterxml..", "scala..",
                        "java.io..", "java.nio..", "java.net..", "java.sql..", "java.util.concurrent..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.lang.Thread")
                .orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(System.class, "nanoTime")
                .because("domain/ is records, deciders and pure functions: the engines bring time, threads and I/O")
                .check(DOMAIN);
    }

    @Test
    void layersOnlyLookDown() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("abi").definedBy("kvmsim.domain.abi..")
                .layer("policy").definedBy("kvmsim.domain.policy..")
                .layer("entity protocol").definedBy("kvmsim.domain.entity..")
                .layer("entities").definedBy("kvmsim.domain.host..", "kvmsim.domain.vm..", "kvmsim.domain.vcpu..",
                        "kvmsim.domain.memslot..")
                .layer("kernel").definedBy("kvmsim.domain.kernel..")
                .layer("trace").definedBy("kvmsim.domain.trace..")
                .layer("audit").definedBy("kvmsim.domain.audit..")
                .layer("engines").definedBy("kvmsim.domain.engine..", "kvmsim.domain.explore..")
                .layer("history").definedBy("kvmsim.domain.history..")
                .whereLayer("history").mayNotBeAccessedByAnyLayer()
                .whereLayer("engines").mayOnlyBeAccessedByLayers("history")
                .whereLayer("audit").mayOnlyBeAccessedByLayers("trace", "engines", "history")
                .whereLayer("trace").mayOnlyBeAccessedByLayers("engines", "history")
                .whereLayer("kernel").mayOnlyBeAccessedByLayers("trace", "engines", "history")
                .whereLayer("entities").mayOnlyBeAccessedByLayers("kernel", "trace", "audit", "engines", "history")
                .whereLayer("entity protocol").mayOnlyBeAccessedByLayers("entities", "kernel", "trace", "audit",
                        "engines", "history")
                .withOptionalLayers(true)
                .check(DOMAIN);
    }
}
