#!/usr/bin/env bash
# Core benchmark (issue: core and offline CLI). Prints each famfs figure beside a
# baseline measured in the same run. Uses /dev/shm (tmpfs) file-backed devices.
# Usage: bench/core.sh        (build first: mvn -DskipTests package)
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../bin/lib.sh"
home=$famfs_home
famfs="$home/bin/famfs"
export FAMFS_SYSTEM_UUID=${FAMFS_SYSTEM_UUID:-5eed5eed-0000-4000-8000-00000000beef}
work=$(mktemp -d /dev/shm/famfs-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

what=${1:-all}
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(uname -r)"

if [[ $what == all || $what == bulk ]]; then
# --- bulk create: creat --multi of 10,000 files vs one process per file
a="$work/a.img"; truncate -s 32G "$a"; "$famfs" mkfs "$a" >/dev/null
args=(); for i in $(seq 0 9999); do args+=(-M "f$i,4k"); done
"$famfs" creat --device "$a" --stats "${args[@]}" 2>"$work/creat.txt"
creat_rate=$(awk '/^creat/{print $(NF-3)}' "$work/creat.txt")
t0=$(now); for i in $(seq 0 19); do "$famfs" creat --device "$a" -s 4k "single$i"; done; t1=$(now)
single_rate=$(echo "20 / $(secs "$t0" "$t1")" | bc -l)
printf "creat --multi 10000 x 4 KiB: %8.0f files/s | baseline one process per file: %6.1f files/s | x%.0f\n" \
  "$creat_rate" "$single_rate" "$(echo "$creat_rate / $single_rate" | bc -l)"

# --- full log: fill the remaining slots with directories, then replay and fsck it
used=$("$famfs" fsck --json "$a" | awk -F': ' '/"entriesUsed"/{gsub(",","",$2);print $2}')
dirs=(); for i in $(seq 1 $((15420 - used))); do dirs+=("d$i"); done
"$famfs" mkdir --device "$a" "${dirs[@]}"
"$famfs" bench replay --device "$a"
for i in 1 2 3 4 5; do t0=$(now); "$famfs" fsck "$a" >/dev/null; t1=$(now); secs "$t0" "$t1"; done | median > "$work/fsck.txt"
for i in 1 2 3 4 5; do t0=$(now); "$famfs" --version >/dev/null; t1=$(now); secs "$t0" "$t1"; done | median > "$work/ver.txt"
printf "fsck CLI wall time on a full log (15420 entries): %.3f s | baseline 'famfs --version' (JVM+Quarkus start): %.3f s\n" \
  "$(cat "$work/fsck.txt")" "$(cat "$work/ver.txt")"

fi
if [[ $what == all || $what == bulk ]]; then
# --- cp -r of 10,000 small files
b="$work/b.img"; truncate -s 32G "$b"; "$famfs" mkfs "$b" >/dev/null
mkdir -p "$work/small"; for d in $(seq 0 9); do mkdir "$work/small/$d"; done
head -c 4096 /dev/urandom > "$work/one"
for i in $(seq 0 9999); do cp "$work/one" "$work/small/$((i % 10))/f$i"; done
"$famfs" cp --device "$b" -r --stats "$work/small" small 2>"$work/cpr.txt"
cpr_rate=$(awk '/^cp total/{print $(NF-3)}' "$work/cpr.txt")
t0=$(now); cp -r "$work/small" "$work/small-copy"; t1=$(now)
printf "cp -r 10000 x 4 KiB: %8.0f files/s (whole command) | baseline tmpfs cp -r: %8.0f files/s\n" \
  "$cpr_rate" "$(echo "10000 / $(secs "$t0" "$t1")" | bc -l)"

fi
if [[ $what == all || $what == big ]]; then
b="$work/b.img"; [[ -e $b ]] || { truncate -s 32G "$b"; "$famfs" mkfs "$b" >/dev/null; }
# --- 1 GiB: cp, verify, creat -r, against plain memory copies
head -c 1G /dev/urandom > "$work/big"
"$famfs" cp --device "$b" --stats "$work/big" big 2>"$work/cp1.txt"
"$famfs" cp --device "$b" --stats "$work/big" big 2>"$work/cp2.txt"   # restart: same pages again (warm)
"$famfs" creat --device "$b" --stats -s 1g -r -S 77 seeded 2>"$work/cr.txt"
"$famfs" verify --device "$b" --stats -S 77 -f seeded 2>"$work/ver1g.txt" >/dev/null
t0=$(now); dd if="$work/big" of="$work/big-dd" bs=1M status=none; t1=$(now)
t2=$(now); dd if="$work/big" of="$work/big-dd" bs=1M conv=notrunc status=none; t3=$(now)
echo "cp 1 GiB (fresh device pages):  $(awk '/^cp data/{print $(NF-1), $NF}' "$work/cp1.txt")"
echo "cp 1 GiB (pages already mapped): $(awk '/^cp data/{print $(NF-1), $NF}' "$work/cp2.txt")"
echo "creat -r 1 GiB (pattern fill):  $(awk '/^creat/{print $(NF-1), $NF}' "$work/cr.txt")"
echo "verify 1 GiB:                    $(awk '/^verify/{print $(NF-1), $NF}' "$work/ver1g.txt")"
printf "baseline dd tmpfs->tmpfs 1 GiB: new file %.2f GB/s, overwrite %.2f GB/s\n" \
  "$(echo "1.073741824 / $(secs "$t0" "$t1")" | bc -l)" "$(echo "1.073741824 / $(secs "$t2" "$t3")" | bc -l)"
"$famfs" bench memcpy -s 1g
fi
