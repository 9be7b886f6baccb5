package io.famfs.cli;

import picocli.CommandLine;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.List;

/**
 * The training run of the AOT cache ({@code bin/famfs-train}, run by {@code mvn package}):
 * the usual one-shot commands, one after another in one JVM, against a scratch image, so
 * that the cache holds the classes, linkage and profiles they need. Their output is dropped.
 * The JVM loads every cached class at start, so rarer paths stay out (JSON output: Jackson
 * is 540 classes).
 * Not a command: nothing else calls it.
 */
public final class AotTraining {
    private AotTraining() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: AotTraining SCRATCH_IMAGE");
            System.exit(2);
        }
        String img = args[0];
        List<String[]> commands = List.of(
                new String[] {"--version"},
                new String[] {"--help"},
                new String[] {"mkfs", img},
                new String[] {"mkdir", "--device", img, "-p", "d/e"},
                new String[] {"creat", "--device", img, "-s", "4m", "-r", "-S", "1", "d/f"},
                new String[] {"creat", "--device", img, "-s", "4k", "g"},
                new String[] {"verify", "--device", img, "-S", "1", "-f", "d/f"},
                new String[] {"getmap", "--device", img, "d/f"},
                new String[] {"logplay", "--device", img, "-n"},
                new String[] {"fsck", img},
                new String[] {"fsck", "--no-such-option", img},
                new String[] {"creat"});
        PrintWriter none = new PrintWriter(OutputStream.nullOutputStream());
        for (String[] c : commands) {
            CommandLine cl = Cli.commandLine(CommandLine.defaultFactory(), c);
            cl.setOut(none);
            cl.setErr(none);
            cl.execute(c);
        }
    }
}
