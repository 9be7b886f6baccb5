#!/usr/bin/env bash
# Fleet API load benchmark (issue: REST, health, metrics). wrk against the status and
# readiness endpoints of a mount daemon on loopback, bounded runs, while dd reads a
# file through the same mount; then the same wrk runs without the FUSE load.
# Usage: bench/api.sh      (build first: mvn -DskipTests package; needs wrk)
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../bin/lib.sh"
home=$famfs_home
famfs="$home/bin/famfs"
export FAMFS_SYSTEM_UUID=5eed5eed-0000-4000-8000-00000000beef
work=$(mktemp -d /dev/shm/famfs-abench.XXXXXX)
mnt=$(mktemp -d /tmp/famfs-abench-mnt.XXXXXX)
export FAMFS_API_TOKEN_FILE="$work/token" QUARKUS_HTTP_PORT=${PORT:-7390}
cleanup() { "$famfs" umount "$mnt" 2>/dev/null || true; sleep 0.5; rm -rf "$work"; rmdir "$mnt" 2>/dev/null || true; }
trap cleanup EXIT
dev="$work/dev.img"; truncate -s 8G "$dev"; "$famfs" mkfs "$dev" >/dev/null
"$famfs" mount "$dev" "$mnt"
"$famfs" creat -s 1g -r -S 1 "$mnt/big"
url=http://127.0.0.1:$QUARKUS_HTTP_PORT
echo "== machine: $(nproc) cores; wrk 2 threads, 16 connections, 10 s per run, loopback"
run() { # label path
  wrk -t2 -c16 -d10s --latency "$url$2" > "$work/wrk.txt"
  rps=$(awk '/Requests\/sec/{print $2}' "$work/wrk.txt")
  p99=$(awk '$1=="99%"{print $2}' "$work/wrk.txt")
  errs=$(awk '/Non-2xx|Socket errors/{print}' "$work/wrk.txt" | tr '\n' ' ')
  printf "%-34s %-22s %10s req/s  p99 %-8s %s\n" "$1" "$2" "$rps" "$p99" "${errs:-0 errors}"
}
wrk -t2 -c16 -d3s "$url/api/v1/status" >/dev/null; wrk -t2 -c16 -d3s "$url/q/health/ready" >/dev/null  # JIT warm-up
for path in /api/v1/status /q/health/ready; do
  run "idle mount" "$path"
done
( end=$((SECONDS + 25)); while ((SECONDS < end)); do dd if="$mnt/big" of=/dev/null bs=1M status=none; done ) &
reader=$!
sleep 1
for path in /api/v1/status /q/health/ready; do
  run "while dd reads through the mount" "$path"
done
wait "$reader" || true
