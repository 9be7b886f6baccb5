#!/usr/bin/env bash
# Long run of the corrupted-metadata torture suite (src/test/java/io/famfs/torture):
# every jqwik property of CorruptMetadataProperties with TRIES tries each (CI runs 200).
# Prints the cases run, cases/s and failures. Builds through the shared build lock.
# Usage: bench/fuzz.sh [TRIES]        (default 1000000 tries per property; 5 properties)
# A failing property is printed with its jqwik seed and shrunk sample; .jqwik-database
# keeps it, so the next run of the same property tries that sample first.
set -uo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../bin/lib.sh"
home=$famfs_home
tries=${1:-1000000}
export JAVA_HOME=$famfs_java_home
cd "$home"
log=$(mktemp /tmp/famfs-fuzz.XXXXXX.log)
echo "== fuzz: $tries tries per property, $(nproc) cores, log $log"
start=$(date +%s.%N)
flock /tmp/famfs-build.lock mvn -B -ntp test -Dtest=CorruptMetadataProperties -Dsurefire.failIfNoSpecifiedTests=false \
  -Dfamfs.fuzz.tries="$tries" >"$log" 2>&1
status=$?
end=$(date +%s.%N)
summary=$(grep -h '^fuzz summary:' "$log" | tail -n 1)
report=target/surefire-reports/TEST-io.famfs.torture.CorruptMetadataProperties.xml
failed=$(python3 - "$report" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    s = ET.parse(sys.argv[1]).getroot()
    print(int(s.get("failures", 0)) + int(s.get("errors", 0)))
except Exception:
    print("unknown")
PY
)
echo "${summary:-fuzz summary: (none: the run did not get to the tests, see $log)}"
printf "wall time (waiting for the build lock, build, image set-up, cases): %.1f s\n" "$(echo "$end - $start" | bc -l)"
echo "failing properties: $failed of 5 (mvn exit $status)"
if [[ $failed != 0 ]]; then
  grep -h -A3 '^java.lang.AssertionError' target/surefire-reports/io.famfs.torture.CorruptMetadataProperties.txt | head -n 20
fi
exit $status
