package io.cubist.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** What this build is: Cubist's version and the Spark line and Scala version it was built for. */
public record Version(String cubist, String sparkBuilt, String scalaBuilt) {

    private static final Version CURRENT = read();

    public static Version current() {
        return CURRENT;
    }

    private static Version read() {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("/io/cubist/jobs/version.properties")) {
            if (in == null) {
                throw new IllegalStateException("version.properties is missing from the build");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Version(p.getProperty("cubist"), p.getProperty("spark"), p.getProperty("scala"));
    }

    /** {@code cubist 0.1.0 (built for Spark 4.2.0, Scala 2.13; running on Java 17.0.15)}. */
    public String describe() {
        return "cubist " + cubist + " (built for Spark " + sparkBuilt + ", Scala " + scalaBuilt + "; running on Java "
                + System.getProperty("java.version") + ")";
    }
}
