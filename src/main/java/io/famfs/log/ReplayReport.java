package io.famfs.log;

import java.util.List;

/**
 * What one replay pass did: entries [fromIndex, toIndex) were applied; {@code stopReason}
 * is set when an invalid entry ended the pass early (as upstream, later entries wait).
 */
public record ReplayReport(long fromIndex, long toIndex, int filesCreated, int dirsCreated, int existed,
                           List<String> rejected, String stopReason) {
    public boolean clean() {
        return rejected.isEmpty() && stopReason == null;
    }

    public int errors() {
        return rejected.size() + (stopReason == null ? 0 : 1);
    }
}
