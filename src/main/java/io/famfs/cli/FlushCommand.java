package io.famfs.cli;

import io.famfs.namespace.FileData;
import io.famfs.namespace.Namespace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;

/**
 * {@code famfs flush FILE...}: write a file's memory back (msync for file- and block-backed
 * devices) after a full fence, so other hosts and the medium see what this host stored.
 */
@Command(name = "flush", mixinStandardHelpOptions = true, description = "Flush files' memory to the device.")
class FlushCommand extends Subcommand {
    @Mixin
    DeviceOption target;

    @Option(names = {"-v", "--verbose"}, description = "Print each file flushed")
    boolean verbose;

    @Parameters(paramLabel = "FILE", arity = "1..*")
    List<String> files;

    @Override
    public Integer call() {
        try (FsView view = FsView.open(target, true, files)) {
            for (String name : files) {
                Namespace.File f = view.file(name);
                FileData data = view.data(f);
                data.mapper().map(0, data.size(), (off, len, d) -> view.famfs().device().flush(off, len));
                if (verbose) {
                    out().println("flushed " + name + " (" + f.size() + " bytes)");
                }
            }
        }
        return 0;
    }
}
