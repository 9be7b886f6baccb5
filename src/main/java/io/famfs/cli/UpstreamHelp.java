package io.famfs.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Upstream's tools all take {@code -?} as help (usage on stdout, exit 0): this adds the
 * name to the help option of {@code famfs} and of every command below it, once, where the
 * command line is built ({@link Cli#commandLine}, after it added the subcommands). (A
 * second help option beside {@code --help} would make picocli warn on every run.)
 */
final class UpstreamHelp {
    static final String NAME = "-?";

    private UpstreamHelp() {
    }

    static void addQuestionMark(CommandSpec spec) {
        if (spec.findOption(NAME) == null) {
            OptionSpec help = spec.options().stream().filter(OptionSpec::usageHelp).findFirst().orElse(null);
            if (help != null) {
                List<String> names = new ArrayList<>(Arrays.asList(help.names()));
                names.add(NAME);
                spec.remove(help);
                spec.addOption(OptionSpec.builder(help).names(names.toArray(String[]::new)).build());
            } else {
                spec.addOption(OptionSpec.builder(NAME).usageHelp(true).hidden(true)
                        .description("Show this help message and exit.").build());
            }
        }
        for (CommandLine sub : spec.subcommands().values()) {
            addQuestionMark(sub.getCommandSpec());
        }
    }
}
