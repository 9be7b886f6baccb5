package io.famfs.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** Common plumbing of the subcommands: their output streams, and upstream's {@code -?} help. */
abstract class Subcommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** Upstream's tools all take {@code -?} as help (usage on stdout, exit 0). */
    @Option(names = "-?", usageHelp = true, hidden = true, description = "Show this help message and exit.")
    boolean questionMarkHelp;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
