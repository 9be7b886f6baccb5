package io.famfs.api;

/** Request bodies of the fleet API. Missing optional fields take the CLI's defaults. */
final class Requests {
    private Requests() {
    }

    /** POST /api/v1/dirs. */
    record Mkdir(String path, String mode, Integer uid, Integer gid, Boolean parents) {
    }

    /** POST /api/v1/files: size as a number of bytes or with k/m/g; seed non-zero randomizes. */
    record Create(String path, String size, String mode, Integer uid, Integer gid, Long seed, Integer nstrips,
                  Integer nbuckets, String chunkSize) {
    }

    /** POST /api/v1/ras/inject. */
    record Inject(Long offset, Long length) {
    }

    /** PUT /api/v1/log-level. */
    record LogLevel(String level) {
    }
}
