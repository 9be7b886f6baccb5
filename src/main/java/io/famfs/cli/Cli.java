package io.famfs.cli;

import io.famfs.FamfsException;
import io.famfs.device.DeviceException;
import io.famfs.format.FormatException;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

/**
 * Builds the famfs command line and its error policy: every failure a user can cause is
 * one line on stderr, {@code famfs <command>: <what went wrong>}, and a non-zero exit.
 * A stack trace appears only for internal errors and only with {@code FAMFS_DEBUG=1}.
 */
public final class Cli {
    /** Exit status for usage errors, as most Unix tools. */
    public static final int USAGE = 2;
    /** Exit status for an internal error (EX_SOFTWARE). */
    public static final int INTERNAL = 70;

    private Cli() {
    }

    /**
     * The command line for {@code args}: the top-level command and, when {@code args} name
     * a subcommand, only that one (each subcommand's model costs reflection at start-up);
     * none for {@code --version}; otherwise (no command, help, a misspelt name) all of them,
     * so that help lists them and picocli can suggest the nearest name.
     */
    public static CommandLine commandLine(CommandLine.IFactory factory, String... args) {
        CommandLine cl = new CommandLine(FamfsCommand.class, factory);
        Class<?> named = FamfsCommand.COMMANDS.get(commandName(args));
        java.util.List<String> given = java.util.List.of(args);
        if (named != null) {
            cl.addSubcommand(new CommandLine(named, factory));
        } else if (!(given.contains("-V") || given.contains("--version"))) {
            for (Class<?> c : FamfsCommand.COMMANDS.values()) {
                cl.addSubcommand(new CommandLine(c, factory));
            }
        }
        UpstreamHelp.addQuestionMark(cl.getCommandSpec());
        // after the subcommands: picocli passes these settings down to those already added
        cl.setExecutionExceptionHandler(Cli::onExecutionError);
        cl.setParameterExceptionHandler(Cli::onParameterError);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }

    /** The subcommand's name: the first argument that is not an option (the top level has none with a value). */
    static String commandName(String... args) {
        for (String a : args) {
            if (!a.startsWith("-")) {
                return a;
            }
        }
        return null;
    }

    /** For tests and tools: the whole command line with picocli's default factory. */
    public static CommandLine commandLine() {
        return commandLine(CommandLine.defaultFactory());
    }

    /**
     * Whether {@code args} run the mount server, which needs Quarkus (bin/famfs applies the
     * same rule to choose how to start Java: bin/lib.sh, {@code famfs_serves_mount}).
     */
    public static boolean servesMount(String... args) {
        java.util.List<String> a = java.util.List.of(args);
        return a.contains("mount") && (a.contains("--foreground") || a.contains("-d") || a.contains("--debug"));
    }

    /** Runs one command line in this process; its exit status. */
    public static int execute(String... args) {
        String[] a = upstreamForm(args);
        return commandLine(CommandLine.defaultFactory(), a).execute(a);
    }

    /**
     * Upstream's {@code famfs -h CMD ...} (also {@code -?}, {@code --help}) prints CMD's
     * usage: the same as {@code famfs CMD --help}. Other command lines are unchanged.
     */
    static String[] upstreamForm(String... args) {
        if (args.length >= 2 && (args[0].equals("-h") || args[0].equals("-?") || args[0].equals("--help"))
                && FamfsCommand.COMMANDS.containsKey(args[1])) {
            return new String[] {args[1], "--help"};
        }
        return args;
    }

    private static String prefix(CommandLine cl) {
        return cl.getCommandSpec().qualifiedName(" ");
    }

    private static int onExecutionError(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
        PrintWriter err = cl.getErr();
        Throwable t = ex;
        if (t instanceof UncheckedIOException u) {
            t = u.getCause();
        }
        int code;
        String message;
        switch (t) {
            case FamfsException f -> {
                message = f.getMessage();
                code = f.exitCode();
            }
            case DeviceException d -> {
                message = d.getMessage();
                code = 1;
            }
            case FormatException f -> {
                message = f.getMessage();
                code = 1;
            }
            case IOException io -> {
                message = io.getClass().getSimpleName().replace("Exception", "") + ": " + io.getMessage();
                code = 1;
            }
            case InternalError ie -> {
                message = "memory error while accessing the device (" + ie.getMessage() + ")";
                code = 1;
            }
            default -> {
                message = "internal error: " + t;
                code = INTERNAL;
                if (System.getenv("FAMFS_DEBUG") != null) {
                    t.printStackTrace(err);
                }
            }
        }
        err.println(prefix(cl) + ": " + message);
        err.flush();
        return code;
    }

    private static int onParameterError(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println(prefix(cl) + ": " + ex.getMessage() + " (see '" + prefix(cl) + " --help')");
        err.flush();
        return USAGE;
    }
}
