#!/usr/bin/env bash
# Command speed (issue 9), beside its baselines in the same run:
#   one-shot start: famfs --version vs java -version; famfs fsck of upstream's 1,560-entry
#   golden image (many.img) vs java -version;
#   commands in a loop on a mount: famfs creat -s 4k MNT/f, forwarded to the warm mount
#   server (the default) and in their own JVM (FAMFS_NO_FORWARD=1), vs a tmpfs touch loop;
#   famfs logplay MNT and famfs check MNT, forwarded and in their own JVM.
# Needs root (mount), farm-bench, a built application and ../shared/golden beside the repo.
# Usage: bench/cli.sh [LOOP_FILES]   (default 200)
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../bin/lib.sh"
famfs_require_build
n=${1:-200}
famfs=$famfs_home/bin/famfs
java=$famfs_java_home/bin/java
work=$(mktemp -d /tmp/famfs-clibench.XXXXXX)
dev=/dev/shm/famfs-clibench.img mnt=$work/mnt tmpd=/dev/shm/famfs-clibench-touch
cleanup() {
  "$famfs" umount "$mnt" >/dev/null 2>&1 || true
  rm -rf "$dev" "$tmpd" "$work"
}
trap cleanup EXIT
export FAMFS_SYSTEM_UUID=00000000-0000-4000-8000-00000000b0b0

golden=$famfs_home/../shared/golden/upstream-golden.tar.xz
tar -xJf "$golden" -C "$work" many.img

echo "== one-shot start (farm-bench medians; A = famfs, B = java -version)"
farm-bench -n 11 --vs "$java -version" -- "$famfs" --version 2>&1 | grep -E "^(A|B|A/B) (wall|cpu)"
farm-bench -n 11 --vs "$java -version" -- "$famfs" fsck "$work/many.img" 2>&1 | grep -E "^(A|B|A/B) (wall|cpu)"

rm -f "$dev"; truncate -s 8G "$dev"; mkdir -p "$mnt"
"$famfs" mkfs "$dev" >/dev/null
"$famfs" mount --api-port 0 "$dev" "$mnt"

# files per second of a loop of N commands
rate() { # LABEL COMMAND-PREFIX... (the file name is appended)
  local label=$1; shift
  local t0 t1 i
  t0=$(date +%s%N)
  for ((i = 0; i < n; i++)); do
    "$@" "$i" >/dev/null
  done
  t1=$(date +%s%N)
  awk -v n="$n" -v ns=$((t1 - t0)) -v l="$label" 'BEGIN { printf "%-44s %8.1f files/s  (%d in %.2f s)\n", l, n / (ns / 1e9), n, ns / 1e9 }'
}
creat_fwd() { "$famfs" creat -s 4k "$mnt/fwd-$1"; }
creat_jvm() { FAMFS_NO_FORWARD=1 "$famfs" creat -s 4k "$mnt/jvm-$1"; }
touch_tmpfs() { touch "$tmpd/t-$1"; }
mkdir -p "$tmpd"

echo "== creat loop ($n files; the in-JVM loop runs n/10)"
rate "tmpfs touch (baseline)" touch_tmpfs
rate "famfs creat -s 4k, forwarded to the server" creat_fwd
full=$n; n=$((full / 10)); [[ $n -ge 1 ]] || n=1
rate "famfs creat -s 4k, own JVM (FAMFS_NO_FORWARD)" creat_jvm
n=$full

echo "== logplay and check on the mount ($("$famfs" fsck "$mnt" | awk '/entries used/ {print $1; exit}') log entries)"
farm-bench -n 11 --vs "env FAMFS_NO_FORWARD=1 $famfs logplay $mnt" -- "$famfs" logplay "$mnt" 2>&1 | grep -E "^(A|B|A/B) wall"
farm-bench -n 11 --vs "env FAMFS_NO_FORWARD=1 $famfs check $mnt" -- "$famfs" check "$mnt" 2>&1 | grep -E "^(A|B|A/B) wall"
