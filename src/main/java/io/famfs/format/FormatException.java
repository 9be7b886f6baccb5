package io.famfs.format;

/** The bytes on a device do not form a valid famfs structure. */
public class FormatException extends RuntimeException {
    public FormatException(String message) {
        super(message);
    }
}
