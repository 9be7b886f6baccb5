#!/usr/bin/env bash
# Direct access vs the FUSE mount vs a tmpfs file: mmap reads of one 1 GiB file, in one
# run (bench/DaxBench.java). Needs root (drop_caches, mount) and a built application.
set -euo pipefail
home=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
source "$home/bin/lib.sh" 2>/dev/null || true
java=${FAMFS_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
jar=$(ls "$home"/target/quarkus-app/app/famfs-java-*.jar)
dev=/dev/shm/famfs-daxbench.img mnt=/tmp/famfs-daxbench tmpf=/dev/shm/famfs-daxbench-plain
rm -f "$dev"; truncate -s 8G "$dev"; mkdir -p "$mnt"
trap '"$home/bin/famfs" umount "$mnt" 2>/dev/null || true; rm -f "$dev" "$tmpf"' EXIT
"$home/bin/mkfs.famfs" "$dev" >/dev/null
"$home/bin/famfs" mount --api-port 0 "$dev" "$mnt"
"$home/bin/famfs" creat -s 1g -r -S 7 "$mnt/blob"
cp "$mnt/blob" "$tmpf"
run() { sync; echo 3 > /proc/sys/vm/drop_caches; "$java" --enable-native-access=ALL-UNNAMED -cp "$jar" "$home/bench/DaxBench.java" "$@"; }
for i in 1 2 3; do
  run dax "$mnt/blob"
  run map "$mnt/blob"
  run map "$tmpf"
done
