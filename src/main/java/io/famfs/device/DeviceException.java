package io.famfs.device;

/** A memory device cannot be opened or mapped; the message is meant for the user. */
public class DeviceException extends RuntimeException {
    public DeviceException(String message) {
        super(message);
    }
}
