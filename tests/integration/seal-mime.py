#!/usr/bin/env python3
"""Pulls MIME parts out of sealed messages for the interop tests, with nothing but the standard
library's `email` package and RFC 2046 boundary rules, so that checks do not trust sealmail's own
parser.

  seal-mime.py type FILE                 content type of the root, then its parameters
  seal-mime.py header FILE NAME          every value of a header field of the root, one a line
  seal-mime.py payload FILE N OUT        decoded body of top-level part N (1-based; 0 = root)
  seal-mime.py signed FILE CONTENT SIG   multipart/signed: the signed entity exactly as
                                         transmitted, in canonical CRLF form, and the signature
  seal-mime.py inner FILE                the header fields of the root entity, as text
  seal-mime.py autocrypt FILE NAME OUT   parses an Autocrypt(-Gossip) field (RFC: Autocrypt
                                         Level 1 section 2.1): prints addr and prefer-encrypt,
                                         writes the decoded keydata to OUT (several fields:
                                         OUT.1, OUT.2, ...)
"""
import base64
import email
import email.policy
import re
import sys


def load(path):
    with open(path, "rb") as f:
        return f.read()


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def crlf(raw):
    return re.sub(rb"\r?\n", b"\r\n", raw)


def signed_parts(raw):
    """RFC 1847 / RFC 3156 section 5: the first body part of multipart/signed, byte for byte,
    between the CRLF that ends the first delimiter line and the CRLF before the next one."""
    msg = parse(raw)
    if msg.get_content_type() != "multipart/signed":
        sys.exit("not multipart/signed: %s" % msg.get_content_type())
    boundary = msg.get_param("boundary").encode()
    wire = crlf(raw)
    body = wire[wire.index(b"\r\n\r\n") + 4:]
    delim = b"--" + boundary
    start = body.index(delim + b"\r\n") if body.startswith(delim) else body.index(b"\r\n" + delim + b"\r\n") + 2
    start += len(delim) + 2
    end = body.index(b"\r\n" + delim, start)
    signature = msg.get_payload()[1].get_payload(decode=True)
    return body[start:end], signature


def attributes(value):
    """name=value; pairs of an Autocrypt field; whitespace inside keydata is ignored."""
    unfolded = re.sub(r"\s+", " ", value).strip()
    attrs = {}
    for item in unfolded.split(";"):
        if "=" not in item:
            continue
        name, _, val = item.strip().partition("=")
        attrs[name.strip()] = val.strip()
    return attrs


def main(argv):
    cmd, path = argv[1], argv[2]
    raw = load(path)
    msg = parse(raw)
    if cmd == "type":
        print(msg.get_content_type())
        for name, val in msg.get_params()[1:]:
            print("%s=%s" % (name, val))
    elif cmd == "header":
        for val in msg.get_all(argv[3]) or []:
            print(re.sub(r"\s+", " ", str(val)).strip())
    elif cmd == "payload":
        n = int(argv[3])
        part = msg if n == 0 else msg.get_payload()[n - 1]
        with open(argv[4], "wb") as f:
            f.write(part.get_payload(decode=True))
    elif cmd == "signed":
        content, signature = signed_parts(raw)
        with open(argv[3], "wb") as f:
            f.write(content)
        with open(argv[4], "wb") as f:
            f.write(signature)
    elif cmd == "inner":
        for name, val in msg.items():
            print("%s: %s" % (name, re.sub(r"\s+", " ", str(val)).strip()))
    elif cmd == "autocrypt":
        values = msg.get_all(argv[3]) or []
        if not values:
            sys.exit("no %s field" % argv[3])
        for i, val in enumerate(values, 1):
            attrs = attributes(str(val))
            if "addr" not in attrs or "keydata" not in attrs:
                sys.exit("%s lacks addr or keydata" % argv[3])
            print("addr=%s prefer-encrypt=%s" % (attrs["addr"], attrs.get("prefer-encrypt", "")))
            out = argv[4] if len(values) == 1 else "%s.%d" % (argv[4], i)
            with open(out, "wb") as f:
                f.write(base64.b64decode(attrs["keydata"].replace(" ", ""), validate=True))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
