package io.famfs.cli;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import jakarta.inject.Inject;
import picocli.CommandLine;

/**
 * Entry point of the packaged application. {@code bin/famfs ARGS} and
 * {@code bin/mkfs.famfs ARGS} (which is {@code famfs mkfs ARGS}) both land here.
 */
@QuarkusMain
public class FamfsMain implements QuarkusApplication {
    @Inject
    CommandLine.IFactory factory;

    public static void main(String[] args) {
        Quarkus.run(FamfsMain.class, args);
    }

    @Override
    public int run(String... args) {
        return Cli.commandLine(factory).execute(args);
    }
}
