package io.cubist.jobs.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the JVM options Spark's own launcher gives every JVM it starts ({@code JavaModuleOptions}: the module
 * opens Kryo and Arrow need), as the Spark on the build's class path has them: the build runs it, and
 * {@code bin/cubist} and the tests read the file, since they start Spark without {@code spark-submit}. Cubist's own
 * flags stay in the pom; Spark's are never copied there.
 */
public final class SparkJvmOptions {

    private SparkJvmOptions() {
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        Files.createDirectories(out.getParent());
        Files.writeString(out, org.apache.spark.launcher.JavaModuleOptions.defaultModuleOptions() + "\n",
                StandardCharsets.UTF_8);
    }
}
