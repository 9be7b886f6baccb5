package io.famfs;

/**
 * An error the user can act on. The message is one line and the exit status follows
 * upstream's conventions where it has one (for example errno values for getmap).
 */
public class FamfsException extends RuntimeException {
    public static final int GENERIC = 1;

    private final int exitCode;

    public FamfsException(String message) {
        this(message, GENERIC);
    }

    public FamfsException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
