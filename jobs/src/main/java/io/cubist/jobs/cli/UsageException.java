package io.cubist.jobs.cli;

/** A user error on the command line: printed as one line, exit code 2. */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
