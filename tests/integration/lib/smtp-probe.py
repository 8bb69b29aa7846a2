#!/usr/bin/env python3
"""smtp-probe.py: raw SMTP conversations with sealmaild for the fault tests, where a normal client
library would refuse to send what we need (bare LF, over-long lines, pipelined garbage, 10,000
recipients, a 60 MB message). Each subcommand prints the server's replies and exits non-zero when
a reply is not the expected one.

  smtp-probe.py PORT overlong | bare-lf SUBJECT | rcpts | garbage | size | sessions N
  smtp-probe.py PORT kill-during-data SUBJECT PIDFILE_OF_DAEMON
  strip-relay LISTEN_PORT UPSTREAM_PORT     (a man in the middle that removes STARTTLS)
  tls-server PORT CERT KEY                  (an implicit-TLS SMTP server with the given certificate)
  fake-upstream PORT CERT KEY LOG           (an implicit-TLS server offering REQUIRETLS; logs commands)
"""
import os
import signal
import socket
import sys
import threading
import time


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.f = self.s.makefile("rb")
        self.expect("220")

    def send(self, data):
        self.s.sendall(data if isinstance(data, bytes) else data.encode())

    def reply(self):
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                raise EOFError("connection closed")
            lines.append(line.decode(errors="replace").rstrip("\r\n"))
            if len(line) < 4 or line[3:4] != b"-":
                return lines

    def expect(self, prefix, quiet=False):
        r = self.reply()
        if not quiet:
            print("<- " + "\n<- ".join(r))
        if not r[-1].startswith(prefix):
            sys.exit("expected %s, got %r" % (prefix, r[-1]))
        return r

    def hello(self, auth=True):
        self.send("EHLO probe.example\r\n")
        self.expect("250", quiet=True)
        if auth:
            self.send("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")
            self.expect("235")


def overlong(port):
    c = Client(port)
    c.hello(auth=False)
    c.send("NOOP " + "x" * 5000 + "\r\n")
    c.expect("500 5.5.2")
    c.send("NOOP\r\n")
    c.expect("250")


def bare_lf(port, subject):
    c = Client(port)
    c.hello()
    c.send("MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
    c.expect("250")
    c.expect("250")
    c.expect("354")
    # bare LF lines; "\n.\n" and "\n.\r\n" inside must not end the message (smuggling)
    c.send("Subject: %s\nFrom: alice@example.test\n\nline one\n.\nMAIL FROM:<mallory@example.test>\n"
           "RCPT TO:<carol@example.test>\n.\r\nlast line\r\n.\r\n" % subject)
    c.expect("250")
    c.send("QUIT\r\n")
    c.expect("221")


def rcpts(port):
    c = Client(port)
    c.hello()
    cmds = ["MAIL FROM:<alice@example.test>\r\n"]
    cmds += ["RCPT TO:<r%05d@discard.test>\r\n" % i for i in range(10000)]
    c.send("".join(cmds))
    c.expect("250", quiet=True)
    codes = {}
    for _ in range(10000):
        code = c.reply()[-1][:9]
        codes[code] = codes.get(code, 0) + 1
    print("RCPT replies:", sorted(codes.items()))
    if codes != {"250 2.1.5": 1000, "452 4.5.3": 9000}:
        sys.exit("unexpected RCPT replies")
    # The transaction is intact and can be reset; the session goes on.
    c.send("RSET\r\nNOOP\r\n")
    c.expect("250")
    c.expect("250")


def garbage(port):
    c = Client(port)
    c.send("".join("GARBAGE %d \x01\x02\r\n" % i for i in range(50)))
    seen = 0
    try:
        while True:
            r = c.reply()[-1]
            if r.startswith("500") or r.startswith("501"):
                seen += 1
            elif r.startswith("421"):
                print("<- %d x 5xx, then %s" % (seen, r))
                break
            else:
                sys.exit("unexpected reply %r" % r)
    except EOFError:
        sys.exit("closed without 421")
    if seen != 20 or c.f.read() != b"":
        sys.exit("expected 20 errors, 421 and a closed connection")


def size(port):
    c = Client(port)
    c.hello()
    c.send("MAIL FROM:<alice@example.test> SIZE=62914560\r\n")
    c.expect("552 5.3.4")
    c.send("MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
    c.expect("250")
    c.expect("250")
    c.expect("354")
    line = b"x" * 998 + b"\r\n"
    block = b"Subject: too big\r\n\r\n" + line * 1000
    sent = 0
    while sent < 60 * 1024 * 1024:
        c.send(block)
        sent += len(block)
    c.send(".\r\n")
    c.expect("552 5.3.4")
    c.send("NOOP\r\n")
    c.expect("250")


def sessions(port, n):
    held = [Client(port) for _ in range(n)]
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    r = s.makefile("rb").readline().decode()
    print("<- " + r.strip())
    if not r.startswith("421 4.3.2"):
        sys.exit("expected 421 for session %d" % (n + 1))
    del held


def kill_during_data(port, subject, pid_file):
    c = Client(port)
    c.hello()
    c.send("MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
    c.expect("250")
    c.expect("250")
    c.expect("354")
    c.send("Subject: %s\r\n\r\nfirst half of the message\r\n" % subject)
    time.sleep(0.3)
    pid = int(open(pid_file).read())
    os.kill(pid, signal.SIGKILL)
    print("killed sealmaild (pid %d) with SIGKILL during DATA" % pid)
    time.sleep(0.3)
    try:
        c.send("second half\r\n.\r\n")
        r = c.reply()
        sys.exit("unexpected reply after the kill: %r" % r)
    except (EOFError, OSError) as e:
        print("client saw an error: %s" % (type(e).__name__))


def pump(src, dst, edit):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(edit(data))
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def strip_relay(listen, upstream):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen))
    srv.listen(8)
    print("ready", flush=True)
    while True:
        a, _ = srv.accept()
        b = socket.create_connection(("127.0.0.1", upstream))
        # The classic downgrade: the keyword is overwritten, the reply stays well-formed.
        threading.Thread(target=pump, args=(b, a, lambda d: d.replace(b"STARTTLS", b"XXXXXXXA")),
                         daemon=True).start()
        threading.Thread(target=pump, args=(a, b, lambda d: d), daemon=True).start()


def tls_server(port, cert, key):
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(8)
    print("ready", flush=True)
    while True:
        a, _ = srv.accept()
        try:
            t = ctx.wrap_socket(a, server_side=True)
            t.sendall(b"220 impostor ESMTP\r\n")
            t.recv(1024)
            t.close()
        except (ssl.SSLError, OSError):
            a.close()


def fake_upstream(port, cert, key, log):
    """An implicit-TLS submission server that offers REQUIRETLS (Postfix does not) and writes
    every command it gets (AUTH excepted) to LOG; it accepts every message."""
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(8)
    print("ready", flush=True)
    while True:
        a, _ = srv.accept()
        try:
            t = ctx.wrap_socket(a, server_side=True)
            f = t.makefile("rb")
            t.sendall(b"220 fake ESMTP\r\n")
            while True:
                line = f.readline()
                if not line:
                    break
                cmd = line.decode(errors="replace").rstrip("\r\n")
                verb = cmd.split(" ")[0].upper()
                if verb != "AUTH":
                    with open(log, "a") as out:
                        out.write(cmd + "\n")
                if verb == "EHLO":
                    t.sendall(b"250-fake\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-REQUIRETLS\r\n"
                              b"250-AUTH PLAIN LOGIN\r\n250 SMTPUTF8\r\n")
                elif verb == "AUTH":
                    t.sendall(b"235 2.7.0 ok\r\n")
                elif verb == "DATA":
                    t.sendall(b"354 go ahead\r\n")
                    while f.readline() not in (b".\r\n", b""):
                        pass
                    t.sendall(b"250 2.0.0 accepted\r\n")
                elif verb == "QUIT":
                    t.sendall(b"221 2.0.0 bye\r\n")
                    break
                else:
                    t.sendall(b"250 2.0.0 ok\r\n")
            t.close()
        except (ssl.SSLError, OSError):
            a.close()


if __name__ == "__main__":
    if sys.argv[1] == "strip-relay":
        strip_relay(int(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1] == "fake-upstream":
        fake_upstream(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    elif sys.argv[1] == "tls-server":
        tls_server(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        port, what, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
        fn = {"overlong": overlong, "bare-lf": bare_lf, "rcpts": rcpts, "garbage": garbage,
              "size": size, "sessions": lambda p, n: sessions(p, int(n)),
              "kill-during-data": kill_during_data}[what]
        fn(port, *args)
        print("ok")
