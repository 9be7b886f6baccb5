#!/usr/bin/env bash
# Mount benchmark (issue: famfs mount). Reads through the FUSE mount beside the same
# reads from a tmpfs file, metadata walks beside a tmpfs tree, and the delay from a
# master's creat returning to the file being visible on a client mount.
# Usage: bench/mount.sh     (build first: mvn -DskipTests package; needs fio, python3)
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../bin/lib.sh"
home=$famfs_home
famfs="$home/bin/famfs"
master_id=5eed5eed-0000-4000-8000-00000000beef
client_id=c11e0000-0000-4000-8000-00000000beef
export FAMFS_SYSTEM_UUID=$master_id
work=$(mktemp -d /dev/shm/famfs-mbench.XXXXXX)
mnt=$(mktemp -d /tmp/famfs-mbench-mnt.XXXXXX)
cmnt=$(mktemp -d /tmp/famfs-mbench-cmnt.XXXXXX)
cleanup() {
  "$famfs" umount "$mnt" 2>/dev/null || true
  "$famfs" umount "$cmnt" 2>/dev/null || true
  sleep 0.5; rm -rf "$work"; rmdir "$mnt" "$cmnt" 2>/dev/null || true
}
trap cleanup EXIT
dev="$work/dev.img"; truncate -s 32G "$dev"; "$famfs" mkfs "$dev" >/dev/null
gbps() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.2f", b / s / 1e9}'; }
ddread() { # prints seconds for reading $1 with dd bs=1M
  local t0 t1; t0=$(date +%s.%N); dd if="$1" of=/dev/null bs=1M status=none; t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(uname -r)"

"$famfs" mount "$dev" "$mnt"
"$famfs" creat -s 1g -r -S 1 "$mnt/big"
cat "$mnt/big" > "$work/tmpfs-big"
size=$((1 << 30))
t_tmpfs=$(ddread "$work/tmpfs-big"); t_tmpfs2=$(ddread "$work/tmpfs-big")
echo "dd bs=1M of a 1 GiB tmpfs file: $(gbps $size "$t_tmpfs") GB/s, again $(gbps $size "$t_tmpfs2") GB/s"
for mode in auto keep direct; do
  "$famfs" umount "$mnt"; sleep 0.3
  "$famfs" mount --cache "$mode" "$dev" "$mnt"
  cold=$(ddread "$mnt/big"); warm=$(ddread "$mnt/big")
  printf "dd bs=1M of 1 GiB through the mount, --cache %-6s: cold %s GB/s (%.2f of tmpfs), warm %s GB/s (%.2f of tmpfs)\n" \
    "$mode" "$(gbps $size "$cold")" "$(echo "$t_tmpfs2 / $cold" | bc -l)" "$(gbps $size "$warm")" "$(echo "$t_tmpfs2 / $warm" | bc -l)"
done
fiojob() { fio --name=j --filename="$1" --rw="$2" --bs="$3" --ioengine="$4" --size=1g --runtime=5 --time_based \
  --group_reporting --output-format=terse 2>/dev/null | awk -F';' '{printf "%.0f MB/s, %.0f IOPS", $7/1024, $8}'; }
mmapread() { python3 - "$1" <<'PY'
import mmap, sys, time
f = open(sys.argv[1], 'rb'); m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ); out = []
for r in range(2):
    t = time.perf_counter()
    for off in range(0, len(m), 1 << 20):
        m[off:off + (1 << 20)]
    out.append(f"{len(m) / (time.perf_counter() - t) / 1e9:.2f}")
print(f"first {out[0]} GB/s, again {out[1]} GB/s")
PY
}
"$famfs" umount "$mnt"; sleep 0.3; "$famfs" mount "$dev" "$mnt"
echo "mmap read of 1 GiB in 1 MiB slices: mount $(mmapread "$mnt/big") | tmpfs $(mmapread "$work/tmpfs-big")"
echo "random 4 KiB reads (psync):         mount $(fiojob "$mnt/big" randread 4k psync) | tmpfs $(fiojob "$work/tmpfs-big" randread 4k psync)"

# metadata: 10,000 files in 100 directories
dirs=(); for d in $(seq 0 99); do dirs+=("$mnt/meta/d$d"); done
"$famfs" mkdir -p "$mnt/meta" "${dirs[@]}" >/dev/null
args=(); for i in $(seq 0 9999); do args+=(-M "$mnt/meta/d$((i % 100))/f$i,4k"); done
"$famfs" creat "${args[@]}"
mkdir -p "$work/meta"; for d in $(seq 0 99); do mkdir "$work/meta/d$d"; done
for i in $(seq 0 9999); do : > "$work/meta/d$((i % 100))/f$i"; done
timed() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
printf "ls -lR of 10,000 files:  mount %.3f s | tmpfs %.3f s\n" "$(timed ls -lR "$mnt/meta")" "$(timed ls -lR "$work/meta")"
printf "stat of 10,000 files:    mount %.3f s | tmpfs %.3f s\n" \
  "$(timed sh -c "find '$mnt/meta' -type f -print0 | xargs -0 stat")" "$(timed sh -c "find '$work/meta' -type f -print0 | xargs -0 stat")"

# visibility delay: master creat returns -> file visible on a client mount
FAMFS_SYSTEM_UUID=$client_id "$famfs" mount "$dev" "$cmnt"
python3 - "$famfs" "$mnt" "$cmnt" <<'PY'
import os, subprocess, sys, time
famfs, mnt, cmnt = sys.argv[1:4]
delays = []
for i in range(40):
    subprocess.run([famfs, "creat", "-s", "4k", f"{mnt}/vis{i}"], check=True)
    t0 = time.perf_counter()
    while not os.path.exists(f"{cmnt}/vis{i}"):
        time.sleep(0.0005)
    delays.append((time.perf_counter() - t0) * 1000)
delays.sort()
p = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]
print(f"visibility on a client after creat returns (40 files, poll 20 ms): p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {delays[-1]:.1f} ms")
PY
