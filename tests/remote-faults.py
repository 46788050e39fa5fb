#!/usr/bin/env python3
"""remote-faults.py: an HTTP object store on 127.0.0.1 that misbehaves.

GET, HEAD and PUT of files under --root (PUT creates directories and
honours If-None-Match: *, as S3 does), like a WebDAV server with PUT. The
first --times GETs of an archive (a path ending in .tar.zst; 0: every one)
are answered with --fault:

  none          no fault
  500, 503, 429 that status, with a small body
  slow          the right headers, then the body at 64 bytes a second
  truncate      Content-Length of the whole, half the body, then close
  long-length   Content-Length 1000 bytes over the body, the body, close
  short-length  Content-Length 1000 bytes under the body: the body is cut
  reset         the request read, then the connection reset (RST)
  corrupt       the whole body with one byte changed

Requests are logged to --log as "METHOD PATH STATUS-OR-FAULT". The port
is written to --port-file once the server listens. Stops on SIGTERM.
"""
import argparse
import http.server
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--fault", default="none")
    ap.add_argument("--times", type=int, default=0)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    root = os.path.realpath(args.root)
    lock = threading.Lock()
    state = {"faults": 0}
    log = open(args.log, "a", buffering=1)

    def local(path):
        p = os.path.realpath(os.path.join(root, path.split("?")[0].lstrip("/")))
        if p != root and not p.startswith(root + os.sep):
            return None
        return p

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def note(self, what):
            log.write("%s %s %s\n" % (self.command, self.path, what))

        def reply(self, status, body=b"", length=None):
            self.send_response(status)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.end_headers()
            if self.command != "HEAD" and body:
                self.wfile.write(body)
            self.note(status)

        def fault_now(self):
            if args.fault == "none" or not self.path.endswith(".tar.zst"):
                return False
            with lock:
                if args.times and state["faults"] >= args.times:
                    return False
                state["faults"] += 1
            return True

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            p = local(self.path)
            if p is None or not os.path.isfile(p):
                return self.reply(404, b"not found\n")
            with open(p, "rb") as f:
                body = f.read()
            if self.command == "GET" and self.fault_now():
                return self.fault(body)
            self.reply(200, body)

        def fault(self, body):
            f = args.fault
            self.note(f)
            if f in ("500", "503", "429"):
                self.send_response(int(f))
                self.send_header("Content-Length", "6")
                self.end_headers()
                self.wfile.write(b"fault\n")
                return
            if f == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.close_connection = True
                return
            self.send_response(200)
            if f == "slow":
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    for i in range(0, len(body), 64):
                        self.wfile.write(body[i:i + 64])
                        self.wfile.flush()
                        time.sleep(1)
                except OSError:
                    pass
                self.close_connection = True
                return
            if f == "truncate":
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[:len(body) // 2])
            elif f == "long-length":
                self.send_header("Content-Length", str(len(body) + 1000))
                self.end_headers()
                self.wfile.write(body)
            elif f == "short-length":
                self.send_header("Content-Length", str(max(len(body) - 1000, 1)))
                self.end_headers()
                self.wfile.write(body[:max(len(body) - 1000, 1)])
            elif f == "corrupt":
                b = bytearray(body)
                b[len(b) // 2] ^= 0xFF
                self.send_header("Content-Length", str(len(b)))
                self.end_headers()
                self.wfile.write(bytes(b))
            else:
                sys.exit("remote-faults.py: unknown fault '%s'" % f)
            self.wfile.flush()
            self.close_connection = True

        def do_PUT(self):
            p = local(self.path)
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            if p is None:
                return self.reply(403, b"forbidden\n")
            if self.headers.get("If-None-Match") == "*" and os.path.exists(p):
                return self.reply(412, b"exists\n")
            os.makedirs(os.path.dirname(p), exist_ok=True)
            tmp = "%s.%d.tmp" % (p, threading.get_ident())
            with open(tmp, "wb") as f:
                f.write(body)
            os.replace(tmp, p)
            self.reply(201)

    srv = Server(("127.0.0.1", args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=srv.shutdown).start())
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(tmp, args.port_file)
    srv.serve_forever()
    srv.server_close()


if __name__ == "__main__":
    main()
