package io.famfs.api;

/** A request that cannot be served: an HTTP status and a one-line reason. */
public class ApiError extends RuntimeException {
    private final int status;

    public ApiError(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
