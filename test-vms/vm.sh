#!/usr/bin/env bash
# Starts one appliance VM under QEMU (software emulation) on a shared memory file.
# Usage: test-vms/vm.sh NAME MEMFILE HOSTPORT [famfs.key=value ...]
# Console log: $VM_DIR/NAME.log; console input: $VM_DIR/NAME.sock; pid: $VM_DIR/NAME.pid
# INITRD_EXTRA=FILE.cpio.gz adds files to the root file system (gzip'd cpio archives concatenate),
# for example an operator's TLS certificate and key.
set -euo pipefail
home=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
name=$1 mem=$2 port=$3; shift 3
dir=${VM_DIR:-$home/target/vms}
img=${IMAGE_DIR:-$home/target/image}
mkdir -p "$dir"
size=$(stat -c %s "$mem")
rm -f "$dir/$name.sock"
initrd="$img/initramfs.gz"
if [[ -n ${INITRD_EXTRA:-} ]]; then
  cat "$initrd" "$INITRD_EXTRA" > "$dir/$name.initrd.gz"
  initrd="$dir/$name.initrd.gz"
fi
qemu-system-x86_64 -machine pc,nvdimm=on -cpu max -m 1G,slots=2,maxmem=$((size / 1073741824 + 2))G -smp 1 \
  -bios /usr/share/qemu/qboot.rom -kernel "$img/vmlinuz" -initrd "$initrd" \
  -append "console=ttyS0 quiet $*" \
  -object memory-backend-file,id=mem1,share=on,mem-path="$mem",size="$size",align=2M \
  -device nvdimm,id=nvdimm1,memdev=mem1 \
  -netdev user,id=n0,hostfwd=tcp:127.0.0.1:"$port"-:7373 -device virtio-net-pci,netdev=n0 \
  -display none -no-reboot \
  -chardev socket,id=s0,path="$dir/$name.sock",server=on,wait=off,logfile="$dir/$name.log",logappend=on \
  -serial chardev:s0 -pidfile "$dir/$name.pid" -daemonize
