package io.famfs.testing;

import io.famfs.cli.Cli;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the famfs command line in-process and captures what it prints. */
public record Run(int exit, String out, String err) {
    public static Run famfs(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Cli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** {@code famfs COMMAND --device DEV REST...}: a command addressing a device directly. */
    public static Run onDevice(java.nio.file.Path device, String command, String... rest) {
        String[] args = new String[rest.length + 3];
        args[0] = command;
        args[1] = "--device";
        args[2] = device.toString();
        System.arraycopy(rest, 0, args, 3, rest.length);
        return famfs(args);
    }

    /** Fails the test with everything printed unless the exit status is {@code expected}. */
    public Run expect(int expected) {
        if (exit != expected) {
            throw new AssertionError("exit " + exit + " (expected " + expected + ")\nstdout:\n" + out + "\nstderr:\n" + err);
        }
        return this;
    }

    public Run ok() {
        return expect(0);
    }

    /** The one-line error contract: a single line on stderr, no stack trace. */
    public Run oneLineError(String mustContain) {
        String[] lines = err.strip().split("\n");
        if (exit == 0 || lines.length != 1 || err.contains("\tat ") || !err.contains(mustContain)) {
            throw new AssertionError("expected a one-line error containing '" + mustContain + "' and a non-zero exit; got exit "
                    + exit + "\nstderr:\n" + err + "\nstdout:\n" + out);
        }
        return this;
    }
}
