#!/usr/bin/env python3
"""bench-smtp.py PORT COUNT PER_SESSION BODY_BYTES RCPT [starttls CAFILE]: sends COUNT messages
from alice to RCPT, PER_SESSION per SMTP session (AUTH PLAIN alice/secret), and prints one JSON
line: messages per second and the per-message latency (MAIL..final 250) percentiles in ms."""
import json
import smtplib
import ssl
import sys
import time

port, count, per_session, size, rcpt = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                                        int(sys.argv[4]), sys.argv[5])
starttls = len(sys.argv) > 6 and sys.argv[6] == "starttls"
cafile = sys.argv[7] if starttls else None
line = ("x" * 76 + "\r\n").encode()
body = line * max(1, size // len(line))
lat = []
start = time.monotonic()
sent = 0
while sent < count:
    with smtplib.SMTP("localhost", port, timeout=120) as s:
        if starttls:
            s.starttls(context=ssl.create_default_context(cafile=cafile))
        s.login("alice", "secret")
        for _ in range(min(per_session, count - sent)):
            msg = (b"From: alice@example.test\r\nTo: " + rcpt.encode() +
                   b"\r\nSubject: bench %d\r\nMessage-ID: <bench.%d.%f@example.test>\r\n\r\n"
                   % (sent, sent, time.time()) + body)
            t = time.monotonic()
            s.sendmail("alice@example.test", [rcpt], msg)
            lat.append((time.monotonic() - t) * 1000)
            sent += 1
elapsed = time.monotonic() - start
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))]
print(json.dumps({"messages": sent, "seconds": round(elapsed, 3), "msg_per_s": round(sent / elapsed, 1),
                  "p50_ms": round(pct(50), 2), "p99_ms": round(pct(99), 2)}))
