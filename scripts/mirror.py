#!/usr/bin/env python3
"""mirror.py: the loopback package mirror of the tests and the benchmark.

A mirror directory holds wheels in DIR/files/ and a PEP 503 "simple" index of
them in DIR/simple/ (written by the `index` command, also used as a library by
make-wheels.py and make-heavy-mirror.py).

    mirror.py index DIR
        (Re)write DIR/simple/index.html and DIR/simple/<project>/index.html
        for every wheel and sdist (.tar.gz) in DIR/files/, with sha256 fragments,
        data-requires-python and PEP 658/714 metadata files (x.whl.metadata),
        as PyPI serves them.

    mirror.py serve DIR [--port N] [--port-file F] [--auth USER:PASSWORD]
                        [--log FILE]
        Serve DIR over HTTP on 127.0.0.1 (port 0: an ephemeral port), from
        several threads. Once listening, the port is written to F (atomically).
        --auth requires HTTP Basic credentials on every request (else 401 with
        WWW-Authenticate). --log appends "METHOD PATH STATUS" per request
        (never a header, so never a credential). SIGTERM or SIGINT stops it
        cleanly (exit 0) and removes F. As on PyPI, wheels are served as
        immutable, with their PEP 658 .metadata files (so pip's HTTP cache, for
        an https or trusted-host origin, and uv's keep them), and pages with
        max-age=0;
        conditional requests are always answered in full.

Python 3 standard library only.
"""

import argparse
import base64
import hashlib
import hmac
import html
import http.server
import os
import re
import signal
import sys
import zipfile
from email.parser import HeaderParser


def canonical_name(name):
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def write_file(path, data):
    """Write bytes to path through a temporary file and a rename, so a reader
    (the server, or a hard-linked copy) never sees a half-written file."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def wheel_metadata(path):
    """The METADATA bytes of a wheel (from its one .dist-info directory)."""
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist()
                 if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        if len(names) != 1:
            raise ValueError("%s: expected one .dist-info/METADATA" % path)
        return z.read(names[0])


def write_index(root):
    """Write the PEP 503 index of root/files/*.whl into root/simple/.

    Returns the number of projects. Project pages of projects that no longer
    have a file are removed.
    """
    files_dir = os.path.join(root, "files")
    simple = os.path.join(root, "simple")
    os.makedirs(simple, exist_ok=True)
    projects = {}
    for fn in sorted(os.listdir(files_dir)):
        path = os.path.join(files_dir, fn)
        if fn.endswith(".tar.gz"):
            # An sdist: NAME-VERSION.tar.gz, no metadata served (PEP 658
            # is for wheels here); pip prefers the release's wheel.
            name = fn[:-len(".tar.gz")].rsplit("-", 1)[0]
            link = '    <a href="../../files/%s#sha256=%s">%s</a><br>\n' % (
                fn, sha256_file(path), html.escape(fn))
            projects.setdefault(canonical_name(name), []).append(link)
            continue
        if not fn.endswith(".whl"):
            continue
        meta_bytes = wheel_metadata(path)
        meta_path = path + ".metadata"
        try:
            with open(meta_path, "rb") as f:
                stale = f.read() != meta_bytes
        except FileNotFoundError:
            stale = True
        if stale:
            write_file(meta_path, meta_bytes)
        meta = HeaderParser().parsestr(meta_bytes.decode("utf-8"))
        attrs = ['href="../../files/%s#sha256=%s"' % (fn, sha256_file(path))]
        rp = meta.get("Requires-Python")
        if rp:
            attrs.append('data-requires-python="%s"' % html.escape(rp.strip()))
        msha = "sha256=" + hashlib.sha256(meta_bytes).hexdigest()
        attrs.append('data-dist-info-metadata="%s"' % msha)
        attrs.append('data-core-metadata="%s"' % msha)
        link = "    <a %s>%s</a><br>\n" % (" ".join(attrs), html.escape(fn))
        projects.setdefault(canonical_name(meta["Name"]), []).append(link)

    head = ('<!DOCTYPE html>\n<html>\n  <head>\n'
            '    <meta name="pypi:repository-version" content="1.0">\n'
            '    <title>%s</title>\n  </head>\n  <body>\n')
    tail = "  </body>\n</html>\n"
    for name, links in projects.items():
        d = os.path.join(simple, name)
        os.makedirs(d, exist_ok=True)
        page = head % ("Links for " + name) + "".join(links) + tail
        write_file(os.path.join(d, "index.html"), page.encode())
    for entry in os.listdir(simple):
        d = os.path.join(simple, entry)
        if os.path.isdir(d) and entry not in projects:
            for f in os.listdir(d):
                os.unlink(os.path.join(d, f))
            os.rmdir(d)
    body = "".join('    <a href="%s/">%s</a><br>\n' % (n, n)
                   for n in sorted(projects))
    write_file(os.path.join(simple, "index.html"),
               (head % "Simple index" + body + tail).encode())
    return len(projects)


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, optional Basic auth, one log line per request."""

    protocol_version = "HTTP/1.1"
    auth = None        # expected "Basic <b64>" header value, or None
    log_fd = None      # fd opened O_APPEND, or None

    def handle_one_request(self):
        self._logged = False
        super().handle_one_request()

    def send_head(self):
        # Always answer in full: If-Modified-Since has one-second resolution,
        # so an index republished within the second would look unchanged.
        del self.headers["If-Modified-Since"]
        if self.auth is not None:
            given = self.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), self.auth.encode()):
                body = b"401 authentication required\n"
                self.send_response(401)
                self.send_header("WWW-Authenticate",
                                 'Basic realm="venvcache test mirror"')
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
                return None
        return super().send_head()

    def end_headers(self):
        # As PyPI: files never change once published; pages do.
        if self.path.startswith("/files/") and self.path.endswith(
                (".whl", ".whl.metadata")):
            self.send_header("Cache-Control", "max-age=31536000, immutable")
        else:
            self.send_header("Cache-Control", "max-age=0")
        super().end_headers()

    def log_request(self, code="-", size="-"):
        if self.log_fd is None or self._logged:
            return
        self._logged = True
        code = getattr(code, "value", code)
        path = self.path.split("?", 1)[0]
        line = "%s %s %s\n" % (self.command, path, code)
        os.write(self.log_fd, line.encode("utf-8", "replace"))

    def log_message(self, format, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(args):
    Handler.directory = os.path.abspath(args.dir)
    if args.auth is not None:
        if ":" not in args.auth:
            sys.exit("mirror.py: --auth takes USER:PASSWORD")
        Handler.auth = "Basic " + base64.b64encode(args.auth.encode()).decode()
    if args.log:
        Handler.log_fd = os.open(args.log,
                                 os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def handler(*a, **kw):
        return Handler(*a, directory=Handler.directory, **kw)

    server = Server(("127.0.0.1", args.port), handler)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        if args.port_file:
            write_file(args.port_file, b"%d\n" % server.server_address[1])
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        if args.port_file:
            try:
                os.unlink(args.port_file)
            except FileNotFoundError:
                pass


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="serve DIR on 127.0.0.1")
    s.add_argument("dir")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--port-file")
    s.add_argument("--auth", metavar="USER:PASSWORD")
    s.add_argument("--log", metavar="FILE")
    i = sub.add_parser("index", help="write DIR/simple for DIR/files")
    i.add_argument("dir")
    args = p.parse_args()
    if args.cmd == "index":
        n = write_index(args.dir)
        print("mirror.py: indexed %d projects in %s" % (n, args.dir),
              file=sys.stderr)
    else:
        serve(args)


if __name__ == "__main__":
    main()
