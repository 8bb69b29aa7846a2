#!/usr/bin/env python3
"""mkmime: MIME wrapping for the crypto tests, independent of sealmail and GMime.

The cryptography is done by the real tools (gpg, gpgsm, openssl), called as given on the
command line; this script only builds RFC 1847 / RFC 3156 structures around their output,
always with CRLF line ends so that the signed bytes are exactly the bytes in the message.

Entities are files holding MIME headers, a blank line and a body.

  mkmime.py text TEXT                       text/plain entity
  mkmime.py pgp-sign ENTITY -- CMD...       multipart/signed; CMD reads the canonical
                                            entity on stdin and writes an armored detached
                                            signature (e.g. gpg --detach-sign --armor)
  mkmime.py smime-sign ENTITY -- CMD...     the same with application/pkcs7-signature; CMD
                                            writes a DER or PEM detached CMS signature
  mkmime.py pgp-encrypt ENTITY -- CMD...    multipart/encrypted (CMD: gpg --encrypt --armor)
  mkmime.py pkcs7 SMIME-TYPE FILE            application/pkcs7-mime entity of a DER file
                                            (openssl cms -outform DER, gpgsm without --armor)
  mkmime.py mixed ENTITY...                 multipart/mixed of the entities
  mkmime.py rfc822 MESSAGE                  message/rfc822 entity (a forwarded message)
  mkmime.py message [--header 'Name: v']... ENTITY
                                            a whole message: the headers, MIME-Version and the
                                            entity
Output goes to stdout.
"""
import base64
import re
import secrets
import subprocess
import sys

CRLF = "\r\n"


def crlf(data: bytes) -> bytes:
    return re.sub(rb"\r?\n", b"\r\n", data)


def boundary() -> str:
    # Random: nested multiparts are built by separate runs of this script.
    return "=-mkmime-" + secrets.token_hex(8)


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return crlf(f.read())


def run(cmd, data: bytes) -> bytes:
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout


def split_cmd(args):
    if "--" not in args:
        sys.exit("mkmime: missing -- before the command")
    i = args.index("--")
    return args[:i], args[i + 1:]


def multipart(subtype: str, params: str, parts) -> bytes:
    b = boundary()
    out = ("Content-Type: multipart/%s; boundary=\"%s\"%s" % (subtype, b, params)).encode()
    out += (CRLF + CRLF).encode()
    for p in parts:
        out += ("--%s" % b + CRLF).encode() + p.rstrip(b"\r\n") + CRLF.encode()
    out += ("--%s--" % b + CRLF).encode()
    return out


def text_entity(text: str) -> bytes:
    return crlf(("Content-Type: text/plain; charset=utf-8" + CRLF +
                 "Content-Transfer-Encoding: 8bit" + CRLF + CRLF + text + CRLF).encode())


def pgp_sign(args) -> bytes:
    (entity,), cmd = split_cmd(args)
    content = read(entity).rstrip(b"\r\n")
    sig = crlf(run(cmd, content))
    sigpart = (b"Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n"
               b"Content-Description: OpenPGP digital signature\r\n\r\n" + sig)
    return multipart("signed", "; micalg=pgp-sha256; protocol=\"application/pgp-signature\"",
                     [content, sigpart])


def smime_sign(args) -> bytes:
    (entity,), cmd = split_cmd(args)
    content = read(entity).rstrip(b"\r\n")
    sig = run(cmd, content)
    if sig.startswith(b"-----BEGIN"):
        sig = base64.b64decode(b"".join(l for l in sig.splitlines() if not l.startswith(b"-----")))
    b64 = base64.encodebytes(sig).replace(b"\n", b"\r\n")
    sigpart = (b"Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
               b"Content-Transfer-Encoding: base64\r\n"
               b"Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\r\n" + b64)
    return multipart("signed", "; micalg=sha-256; protocol=\"application/pkcs7-signature\"",
                     [content, sigpart])


def pgp_encrypt(args) -> bytes:
    (entity,), cmd = split_cmd(args)
    cipher = crlf(run(cmd, read(entity)))
    control = b"Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
    data = b"Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n\r\n" + cipher
    return multipart("encrypted", "; protocol=\"application/pgp-encrypted\"", [control, data])


def pkcs7(args) -> bytes:
    smime_type, path = args
    with open(path, "rb") as f:
        der = f.read()
    b64 = base64.encodebytes(der).replace(b"\n", b"\r\n")
    return (("Content-Type: application/pkcs7-mime; smime-type=%s; name=\"smime.p7m\"\r\n"
             "Content-Transfer-Encoding: base64\r\n"
             "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n" % smime_type)
            .encode() + b64)


def message(args) -> bytes:
    headers = []
    while args and args[0] == "--header":
        headers.append(args[1])
        args = args[2:]
    (entity,) = args
    head = CRLF.join(headers) + CRLF + "MIME-Version: 1.0" + CRLF
    return crlf(head.encode()) + read(entity)


def main(argv):
    if not argv:
        sys.exit(__doc__)
    cmd, args = argv[0], argv[1:]
    if cmd == "text":
        out = text_entity(args[0])
    elif cmd == "pgp-sign":
        out = pgp_sign(args)
    elif cmd == "smime-sign":
        out = smime_sign(args)
    elif cmd == "pgp-encrypt":
        out = pgp_encrypt(args)
    elif cmd == "pkcs7":
        out = pkcs7(args)
    elif cmd == "mixed":
        out = multipart("mixed", "", [read(a) for a in args])
    elif cmd == "rfc822":
        out = (b"Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" +
               read(args[0]))
    elif cmd == "message":
        out = message(args)
    else:
        sys.exit("mkmime: unknown command " + cmd)
    sys.stdout.buffer.write(out)


if __name__ == "__main__":
    main(sys.argv[1:])
