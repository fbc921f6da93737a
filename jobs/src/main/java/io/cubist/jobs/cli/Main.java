package io.cubist.jobs.cli;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The {@code cubist} command line ({@code bin/cubist}): one sub-command per verb of DESIGN.md's contracts.
 * Usage errors print one line and exit 2; failures of the work itself print one line and exit 1.
 */
public final class Main {

    /**
     * In the order a user meets them: the main job and its companions first. Made when used, so a command loads only
     * its own dependencies (bench and devices run without Spark or Arrow on the class path).
     */
    private static final Map<String, Supplier<Command>> COMMANDS = commands();

    private static Map<String, Supplier<Command>> commands() {
        Map<String, Supplier<Command>> m = new LinkedHashMap<>();
        m.put("extract", () -> new ExtractCommand());
        m.put("prepare", () -> new PrepareCommand());
        m.put("report", () -> new ReportCommand());
        m.put("embed", () -> new EmbedCommand());
        m.put("summary", () -> new SummaryCommand());
        m.put("op", () -> new OpCommand());
        m.put("bench", () -> new BenchCommand());
        m.put("backends", () -> new BackendsCommand());
        m.put("devices", () -> new DevicesCommand());
        return Collections.unmodifiableMap(m);
    }

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (for tests; {@link #main} exits with it). */
    public static int run(String... args) {
        if (args.length > 0 && (args[0].equals("--version") || args[0].equals("version"))) {
            System.out.println(io.cubist.jobs.Version.current().describe());
            return 0;
        }
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            System.out.println(help());
            return args.length == 0 ? 2 : 0;
        }
        Supplier<Command> made = COMMANDS.get(args[0]);
        if (made == null) {
            System.err.println("cubist: unknown command '" + args[0] + "'; commands: "
                    + String.join(", ", COMMANDS.keySet()) + " (see cubist --help)");
            return 2;
        }
        Command cmd = made.get();
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        try {
            Flags flags = new Flags(cmd.name(), rest, cmd.valued(), cmd.switches());
            if (flags.help()) {
                System.out.println(cmd.usage());
                return 0;
            }
            return cmd.run(flags);
        } catch (UsageException e) {
            System.err.println("cubist " + e.getMessage());
            return 2;
        } catch (IllegalArgumentException | IllegalStateException | java.io.IOException e) {
            System.err.println("cubist " + cmd.name() + ": " + e.getMessage());
            return 1;
        } catch (Exception e) {
            System.err.println("cubist " + cmd.name() + ": " + e);
            return 1;
        }
    }

    static String help() {
        StringBuilder b = new StringBuilder();
        b.append("Cubist: clip-level video features with 3D convolutional networks, on Apache Spark.\n\n");
        b.append("usage: cubist COMMAND [FLAGS]    (cubist COMMAND --help for its flags; cubist --version)\n\ncommands:\n");
        for (Supplier<Command> s : COMMANDS.values()) {
            Command c = s.get();
            b.append(String.format("  %-10s %s%n", c.name(), c.summary()));
        }
        // bin/cubist answers this one itself (it builds with Maven)
        b.append(String.format("  %-10s %s%n", "jar", "the -all jar for spark-submit on a Spark line: cubist jar"
                + " --spark 3.5 --scala 2.12"));
        return b.toString().stripTrailing();
    }
}
