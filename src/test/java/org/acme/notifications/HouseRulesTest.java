package org.acme.notifications;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The rules of the layout (docs/architecture.md), checked on the compiled main classes: packages along the data
 * path with no import cycle, routing that knows no transport, and no class too big to read at once.
 */
class HouseRulesTest {

    private static final int MAX_LINES = 250;
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.acme.notifications");

    @Test
    void noPackageImportsOneThatImportsIt() {
        slices().assignedFrom(new EachPackage()).should().beFreeOfCycles().check(MAIN);
    }

    /** The seam: a second transport is a new Outbox (and its encoding), not a change to routing. */
    @Test
    void routingAndWhatFeedsItKnowNoTransport() {
        noClasses().that().resideInAnyPackage("..routing..", "..history..", "..ingest..", "..frames..")
                .should().dependOnClassesThat().resideInAnyPackage("io.quarkus.websockets.next..", "..notifications.socket..",
                        "..notifications.outbox..")
                .check(MAIN);
    }

    @Test
    void noMainClassIsOverTwoHundredFiftyLines() throws IOException {
        try (Stream<Path> sources = Files.walk(Path.of("src/main/java"))) {
            List<String> tooLong = sources.filter(path -> path.toString().endsWith(".java"))
                    .filter(path -> lines(path) > MAX_LINES)
                    .map(path -> path + " (" + lines(path) + " lines)").toList();
            assertEquals(List.of(), tooLong);
        }
    }

    private static long lines(Path source) {
        try (Stream<String> lines = Files.lines(source)) {
            return lines.count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every package of the service a slice of its own, the top one too. */
    private static final class EachPackage implements SliceAssignment {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
            String name = javaClass.getPackageName();
            return name.startsWith("org.acme.notifications") ? SliceIdentifier.of(name) : SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
            return "each package of org.acme.notifications";
        }
    }
}
