"""A stand-in for a mount's descriptor broker, speaking protocol version 1 of
docs/direct-access.md, to test libfamfs-dax.so's client side on its own:

    python3 stand_in_broker.py SOCKET DEVICE [ERRNO]

Grants every request with DEVICE (O_RDONLY for "r", O_RDWR for "rw") and the file's
user.famfs.fmap, or refuses every request with ERRNO. Logs each request to stdout.
"""
import os
import socket
import sys

path, device = sys.argv[1], sys.argv[2]
refuse = int(sys.argv[3]) if len(sys.argv) > 3 else 0
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(path)
os.chmod(path, 0o666)
s.listen(8)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    with c:
        req = c.recv(4096).decode().rstrip("\n")
        print("request", req, flush=True)
        parts = req.split(" ", 2)
        if refuse or len(parts) != 3 or parts[0] != "MAP1" or parts[1] not in ("r", "rw"):
            c.send(f"ERR {refuse or 22} refused\n".encode())
            continue
        fmap = os.getxattr(parts[2], "user.famfs.fmap")
        fd = os.open(device, os.O_RDONLY if parts[1] == "r" else os.O_RDWR)
        socket.send_fds(c, [b"OK\n" + fmap], [fd])
        os.close(fd)
