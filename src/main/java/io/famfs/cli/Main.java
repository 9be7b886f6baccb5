package io.famfs.cli;

/**
 * Entry point of one-shot commands, started by {@code bin/famfs} on a plain class path
 * (the application jar and its libraries) instead of through Quarkus's runner jar.
 *
 * <p>Why a second entry point: the JDK's AOT cache ({@code -XX:AOTCache}) can hold only
 * classes of the JDK's own class loaders, so classes loaded by the Quarkus runner's class
 * loader are parsed, verified and linked again on every start. From the plain class path
 * the cache holds this program's classes, and a command starts in about half the time (see
 * docs/benchmarks.md). The mount server ({@code mount --foreground}) needs Quarkus and
 * still starts from {@code quarkus-run.jar} ({@link FamfsMain}); the launcher chooses.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        if (Cli.servesMount(args)) {
            System.err.println("famfs mount: the mount server starts from quarkus-run.jar; use bin/famfs");
            System.exit(1);
        }
        System.exit(Cli.execute(args));
    }
}
