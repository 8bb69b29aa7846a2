#!/usr/bin/env python3
"""Writes test mails with office and PDF attachments into the directory given as argv[1].

The files are made here, at test time, with the standard library only (zipfile, zlib), so the
repository holds no opaque binaries:
  attachments.eml  DOCX (name + SSN), XLSX (card numbers as a shared string and a number cell),
                   ODT (IBAN), PDF (SSN in a content stream)
  zipbomb.eml      a DOCX whose document.xml inflates to 64 MiB of markup
"""
import base64
import io
import os
import sys
import zipfile
import zlib


def docx(paragraphs):
    body = "".join(
        '<w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>' % p for p in paragraphs)
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           '<w:body>%s</w:body></w:document>' % body)
    return make_zip({
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "word/document.xml": doc,
    })


def xlsx():
    shared = ('<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<si><t>Card</t></si><si><t>5555 5555 5555 4444</t></si></sst>')
    sheet = ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
             '<row r="2"><c r="A2" t="inlineStr"><is><t>Visa</t></is></c><c r="B2"><v>4111111111111111</v></c></row>'
             '</sheetData></worksheet>')
    return make_zip({"xl/sharedStrings.xml": shared, "xl/worksheets/sheet1.xml": sheet})


def odt():
    content = ('<?xml version="1.0"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
               '<text:p>Virement sur le compte</text:p><text:p>IBAN FR76<text:s/>3000 6000 0112 3456 7890 189</text:p>'
               '</office:text></office:body></office:document-content>')
    return make_zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": content})


def make_zip(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in entries.items():
            z.writestr(name, text)
    return buf.getvalue()


def pdf(text):
    """A one-page PDF 1.4 with @text in Helvetica, xref offsets computed."""
    stream = b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text.encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, o)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def mail(subject, text, attachments):
    parts = ["From: Records <records@example.org>", "To: Audit <audit@example.org>",
             "Subject: %s" % subject, "Date: Tue, 24 Nov 2026 10:00:00 +0000",
             "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="att"', "",
             "--att", "Content-Type: text/plain; charset=utf-8", "", text, ""]
    for name, ctype, data in attachments:
        b64 = base64.encodebytes(data).decode()
        parts += ["--att", "Content-Type: %s; name=\"%s\"" % (ctype, name),
                  "Content-Disposition: attachment; filename=\"%s\"" % name,
                  "Content-Transfer-Encoding: base64", "", b64]
    parts.append("--att--")
    return "\n".join(parts) + "\n"


def zipbomb():
    """document.xml: 64 MiB of empty runs, deflated to well under a megabyte."""
    chunk = b"<w:r><w:t> </w:t></w:r>" * 4096
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = b'<?xml version="1.0"?><w:document xmlns:w="x"><w:body><w:p>'
    size = 64 * 1024 * 1024
    data = bytearray(comp.compress(raw))
    crc = zlib.crc32(raw)
    total = len(raw)
    while total < size:
        data += comp.compress(chunk)
        crc = zlib.crc32(chunk, crc)
        total += len(chunk)
    tail = b"</w:p><w:p><w:r><w:t>SSN 078-05-1121</w:t></w:r></w:p></w:body></w:document>"
    data += comp.compress(tail) + comp.flush()
    crc = zlib.crc32(tail, crc)
    total += len(tail)
    return raw_zip("word/document.xml", bytes(data), crc & 0xFFFFFFFF, total)


def raw_zip(name, deflated, crc, size):
    import struct
    n = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(deflated), size,
                        len(n), 0) + n
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc,
                          len(deflated), size, len(n), 0, 0, 0, 0, 0, 0) + n
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central),
                      len(local) + len(deflated), 0)
    return local + deflated + central + end


def main():
    out = sys.argv[1]
    with open(os.path.join(out, "attachments.eml"), "w") as f:
        f.write(mail("Quarterly records", "Files attached, see below.", [
            ("employee.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             docx(["Employee record", "Name: Laura Chen", "SSN: 536-22-5232"])),
            ("payments.xlsx", "application/octet-stream", xlsx()),
            ("virement.odt", "application/vnd.oasis.opendocument.text", odt()),
            ("w2.pdf", "application/pdf", pdf("Wage statement, SSN 078-05-1121, tax year 2025")),
        ]))
    with open(os.path.join(out, "zipbomb.eml"), "w") as f:
        f.write(mail("Report", "The report is attached.", [
            ("report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             zipbomb())]))


if __name__ == "__main__":
    main()
