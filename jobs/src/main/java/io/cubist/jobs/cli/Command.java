package io.cubist.jobs.cli;

/** One {@code cubist} sub-command. */
interface Command {

    String name();

    /** One line for {@code cubist --help}. */
    String summary();

    /** The full {@code cubist NAME --help} text. */
    String usage();

    /** Flags that take a value, without the leading {@code --}. */
    default java.util.Set<String> valued() {
        return java.util.Set.of();
    }

    /** Flags that take no value. */
    default java.util.Set<String> switches() {
        return java.util.Set.of();
    }

    /**
     * Runs the command with its own arguments (the sub-command name removed).
     *
     * @return the process exit code
     * @throws UsageException for bad flags or values, printed as one line
     */
    int run(Flags flags) throws Exception;
}
