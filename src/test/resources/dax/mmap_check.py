"""Maps a famfs file with Python's mmap module and numpy.memmap, as unmodified programs do,
and prints one line per check: "CHECK backing=PATH match=True|False". Run under
LD_PRELOAD=libfamfs-dax.so (tests of docs/direct-access.md, "The preload library").

    python3 mmap_check.py FILE OFFSET LENGTH
"""
import ctypes
import mmap
import os
import sys

import numpy as np


def backing(addr):
    with open("/proc/self/maps") as f:
        for line in f:
            fields = line.split()
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            if lo <= addr < hi:
                return fields[5] if len(fields) > 5 else "(anonymous)"
    return "(unmapped)"


def address(m):
    return ctypes.addressof(ctypes.c_char.from_buffer(m))


def main():
    path, off, length = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with open(path, "rb") as f:
        f.seek(off)
        want = f.read(length)
    fd = os.open(path, os.O_RDWR)
    try:
        for name, access in (("mmap-read", mmap.ACCESS_READ), ("mmap-write", mmap.ACCESS_WRITE),
                             ("mmap-copy", mmap.ACCESS_COPY)):
            m = mmap.mmap(fd, length, access=access, offset=off)
            where = backing(address(m)) if access != mmap.ACCESS_READ else None
            if where is None:
                # a read-only buffer cannot give its address to ctypes: find it through numpy
                where = backing(np.frombuffer(m, dtype=np.uint8).ctypes.data)
            print(f"{name} backing={where} match={m[:] == want}")
            m.close()
        for mode in ("r", "r+", "c"):
            a = np.memmap(path, dtype=np.uint8, mode=mode, offset=off, shape=(length,))
            where = backing(a.ctypes.data)
            ok = a.tobytes() == want
            s = int(a.astype(np.uint64).sum())
            print(f"memmap-{mode} backing={where} match={ok} sum={s}")
            del a
        print(f"plain sum={sum(want)}")
    finally:
        os.close(fd)


main()
