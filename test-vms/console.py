#!/usr/bin/env python3
"""Types one command on an appliance VM's console and waits for its DONE marker.
Usage: console.py SOCKET LOGFILE TIMEOUT COMMAND...   Prints the command's output; exit = its status."""
import os, re, socket, sys, time

sock_path, log_path, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
command = " ".join(sys.argv[4:])
start = os.path.getsize(log_path) if os.path.exists(log_path) else 0
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock_path)
s.sendall((command + "\n").encode())
s.setblocking(False)
deadline = time.time() + timeout
while time.time() < deadline:
    # drain the socket: what the guest prints is read from the log file, but QEMU writes it
    # to this socket too, one byte per write, and stalls the guest's serial port once about
    # 200 of those unread writes fill the socket's buffer
    try:
        while s.recv(65536):
            pass
    except (BlockingIOError, InterruptedError):
        pass
    with open(log_path, "rb") as f:
        f.seek(start)
        text = f.read().decode(errors="replace")
    if command == "poweroff":
        if "POWEROFF" in text:
            sys.exit(0)
    else:
        for line in text.splitlines():
            if re.match(r"famfs-appliance:\s+DONE rc=", line):
                body = text[:text.index(line)]
                # drop the echo of what was typed, init's own messages and kernel lines
                lines = [l for l in body.splitlines() if l.strip() != command.strip()
                         and not l.startswith("famfs-appliance:") and not re.match(r"^\[\s*\d+\.\d+\]", l)]
                print("\n".join(lines))
                sys.exit(int(line.split("rc=")[1].strip() or 1))
    time.sleep(0.2)
print(f"console: no answer to '{command}' within {timeout:.0f} s", file=sys.stderr)
sys.exit(124)
