package io.famfs;

/**
 * An error the user can act on: one line, and a {@link Reason} that decides, in one
 * place each, the exit status of a command ({@link #exitCode}) and the HTTP status of a
 * REST request ({@link Reason#httpStatus}). Commands that follow upstream's exit codes
 * (errno values for getmap, for example) give the code explicitly.
 */
public class FamfsException extends RuntimeException {
    public static final int GENERIC = 1;

    /** Why an operation was refused. */
    public enum Reason {
        /** Bad input: a path, size, mode or setting that cannot be right. */
        INVALID(400),
        /** A path (or its parent) that does not exist. */
        NOT_FOUND(404),
        /** The path exists already. */
        EXISTS(409),
        /** This node is a client; only the master changes the file system. */
        NOT_MASTER(409),
        /** The device is quarantined, or the file system changed under the mount. */
        DOWN(409),
        /** No room: the device or the log is full. */
        NO_SPACE(422),
        /** Anything else the user can act on. */
        OTHER(422);

        private final int httpStatus;

        Reason(int httpStatus) {
            this.httpStatus = httpStatus;
        }

        public int httpStatus() {
            return httpStatus;
        }
    }

    private final int exitCode;
    private final Reason reason;

    public FamfsException(String message) {
        this(message, GENERIC);
    }

    public FamfsException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
        this.reason = Reason.OTHER;
    }

    public FamfsException(String message, Reason reason) {
        super(message);
        this.exitCode = GENERIC;
        this.reason = reason;
    }

    public int exitCode() {
        return exitCode;
    }

    public Reason reason() {
        return reason;
    }
}
