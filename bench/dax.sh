#!/usr/bin/env bash
# Direct access vs the FUSE mount vs a tmpfs file: mmap reads of one 1 GiB file, in one
# run (bench/DaxBench.java); then the memory four readers of that file take, each holding a
# mapping of all of it (native/dax_probe.c "hold"): direct (the preload) vs the FUSE mount vs
# the tmpfs copy. Needs root (drop_caches, mount) and a built application.
set -euo pipefail
home=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
source "$home/bin/lib.sh" 2>/dev/null || true
java=${FAMFS_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
jar=$(ls "$home"/target/quarkus-app/app/famfs-java-*.jar)
dev=/dev/shm/famfs-daxbench.img mnt=/tmp/famfs-daxbench tmpf=/dev/shm/famfs-daxbench-plain
rm -f "$dev"; truncate -s 8G "$dev"; mkdir -p "$mnt"
held=$(mktemp -d)
trap 'kill $(cat "$held"/pid* 2>/dev/null) 2>/dev/null; "$home/bin/famfs" umount "$mnt" 2>/dev/null || true; rm -rf "$dev" "$tmpf" "$held"' EXIT
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

# memory of N readers: MemFree before and after four processes each map all of the file and
# load every byte (page tables, page cache, anything the FUSE server allocates), the file page
# cache alone (Cached - Shmem: the device and the tmpfs copy are shmem, counted before), and
# the readers' summed RSS (what ps shows: mapped pages, counted once per process)
probe=$home/target/native/dax-probe
meminfo() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }
readers() { # LABEL FILE [PREFIX...]
  local label=$1 file=$2 n=4; shift 2
  sync; echo 3 > /proc/sys/vm/drop_caches; sleep 1
  local free0 cache0; free0=$(meminfo MemFree); cache0=$(( $(meminfo Cached) - $(meminfo Shmem) ))
  for i in $(seq 1 $n); do "$@" "$probe" hold "$file" 600 > "$held/out$i" 2>&1 & echo $! > "$held/pid$i"; done
  for _ in $(seq 1 600); do (( $(cat "$held"/out* | grep -c '^held') == n )) && break; sleep 0.2; done
  (( $(cat "$held"/out* | grep -c '^held') == n )) || { cat "$held"/out*; echo "readers did not load the file" >&2; exit 1; }
  local free1 cache1 rss=0; free1=$(meminfo MemFree); cache1=$(( $(meminfo Cached) - $(meminfo Shmem) ))
  for i in $(seq 1 $n); do rss=$(( rss + $(awk '/^Rss:/{print $2}' "/proc/$(cat "$held/pid$i")/smaps_rollup") )); done
  printf '%-16s %d readers: memory taken %5d MiB, file page cache +%5d MiB, RSS sum %5d MiB, backing %s, %s\n' \
    "$label" $n $(( (free0 - free1) / 1024 )) $(( (cache1 - cache0) / 1024 )) $(( rss / 1024 )) \
    "$(awk '/^backing/{print $3; exit}' "$held/out1")" "$(grep -h '^held' "$held"/out* | sort -u | sed 's/.*checksum/checksum/' | paste -sd' ')"
  kill $(cat "$held"/pid*) 2>/dev/null; wait 2>/dev/null; rm -f "$held"/*
}
for i in 1 2 3; do
  readers direct "$mnt/blob" "$home/bin/famfs-dax"
  readers "FUSE mount" "$mnt/blob"
  readers "tmpfs file" "$tmpf"
done
