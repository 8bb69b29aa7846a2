#!/usr/bin/env python3
"""A minimal HKP key server (draft-shaw-openpgp-hkp) on 127.0.0.1 for tests.

usage: hkp-server.py PORTFILE KEYFILE ADDRESS REQUESTLOG
Binds an ephemeral port and writes it to PORTFILE; answers op=get for a search containing
ADDRESS with the armored key in KEYFILE, 404 otherwise; logs every request path to REQUESTLOG.
"""
import http.server
import os
import sys
import urllib.parse

port_file, key_file, address, log_file = sys.argv[1:5]
key = open(key_file, "rb").read()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(log_file, "a") as log:
            log.write(self.path + "\n")
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        if query.get("op") == ["get"] and address in query.get("search", [""])[0]:
            self.send_response(200)
            self.send_header("Content-Type", "application/pgp-keys")
            self.send_header("Content-Length", str(len(key)))
            self.end_headers()
            self.wfile.write(key)
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))

os.rename(port_file + ".tmp", port_file)
server.serve_forever()
