#!/usr/bin/env python3
"""make-heavy-mirror.py: the benchmark's heavy fixture (issue 5, fixture a).

    make-heavy-mirror.py OUTDIR [--python PY] [--jobs N] [--force]

Rebuilds every distribution installed in PY's site-packages (default: the
python3 running this script) as a wheel, from the files its RECORD lists, so
that the benchmark can `pip install` a real, heavy environment offline from a
loopback mirror (scripts/mirror.py serve OUTDIR). Writes:

    OUTDIR/files/*.whl         one wheel per distribution, with the original
                               tags (from its WHEEL file), METADATA and
                               entry points; RECORD and WHEEL rewritten
    OUTDIR/simple/             the PEP 503 index (mirror.py's)
    OUTDIR/requirements.txt    name==version of every wheel
    OUTDIR/skipped.txt         what was left out, and why
    OUTDIR/stamp.json          what each wheel was built from

How an installed file goes back into a wheel: files under site-packages go
to the wheel's root; console and GUI script wrappers are dropped (pip writes
them again from entry_points.txt); other scripts go to .data/scripts with
their "#!<PY>" line turned back into "#!python"; headers to .data/headers;
anything else under the prefix (man pages...) to .data/data; byte code
(__pycache__) and INSTALLER, REQUESTED, direct_url.json are dropped.
pip, setuptools and wheel are skipped (a venv has its own), as is any
distribution without a RECORD or WHEEL file.

A run where nothing changed (same distributions, same RECORDs, same script)
does nothing; otherwise only the changed wheels are rebuilt. The output is
deterministic (fixed zip timestamps). Python 3.8+ standard library only.
"""

import argparse
import base64
import concurrent.futures
import csv
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import sysconfig
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mirror  # noqa: E402

EPOCH = (2020, 1, 1, 0, 0, 0)
SKIP_PROJECTS = {"pip", "setuptools", "wheel"}
DROP_INFO = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json",
             "RECORD.jws", "RECORD.p7s"}
with open(os.path.abspath(__file__), "rb") as _f:
    SCRIPT_HASH = hashlib.sha256(_f.read()).hexdigest()


def record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def read_text(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return None


def headers(text):
    """Key: value lines of a WHEEL or METADATA header, as (key, value)."""
    out = []
    for line in text.split("\n"):
        if not line.strip():
            break
        k, _, v = line.partition(":")
        out.append((k.strip(), v.strip()))
    return out


def wheel_tag(tags):
    """The compressed tag of a wheel file name (py2.py3-none-any)."""
    parts = [t.split("-") for t in tags]
    if not parts or any(len(p) != 3 for p in parts):
        raise ValueError("bad Tag lines %r" % tags)
    cols = [list(dict.fromkeys(p[i] for p in parts)) for i in range(3)]
    if len(cols[0]) * len(cols[1]) * len(cols[2]) != len(set(tags)):
        raise ValueError("tags %r are not a product" % tags)
    return "-".join(".".join(c) for c in cols)


def entry_point_scripts(text):
    """Names of the console_scripts and gui_scripts of entry_points.txt."""
    names, section = set(), None
    for line in (text or "").splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line.strip("[]").strip()
        elif "=" in line and section in ("console_scripts", "gui_scripts"):
            names.add(line.split("=", 1)[0].strip())
    return names


def unshebang(data, python_bins):
    """Turn the "#!<this python>" line pip wrote back into "#!python"."""
    if not data.startswith(b"#!"):
        return data
    line, nl, rest = data.partition(b"\n")
    words = line[2:].strip().split(None, 1)
    if words and os.path.realpath(words[0].decode(errors="replace")) in python_bins:
        args = b" " + words[1] if len(words) > 1 else b""
        return b"#!python" + args + nl + rest
    return data


class Dist:
    """One installed distribution: where it is and what its wheel will be."""

    def __init__(self, info_dir, paths):
        self.info_dir = info_dir
        self.info = os.path.basename(info_dir)
        self.paths = paths
        meta = read_text(os.path.join(info_dir, "METADATA")) or ""
        h = dict(headers(meta))
        self.name, self.version = h.get("Name"), h.get("Version")
        self.canonical = mirror.canonical_name(self.name or self.info)
        self.record = read_text(os.path.join(info_dir, "RECORD"))
        self.wheel = read_text(os.path.join(info_dir, "WHEEL"))
        self.fingerprint = hashlib.sha256(
            ("%s\0%s\0%s\0%s" % (SCRIPT_HASH, self.record, self.wheel, meta))
            .encode()).hexdigest()
        self.filename = None
        self.problem = None
        if not self.name or not self.version:
            self.problem = "no Name or Version in METADATA"
        elif self.record is None:
            self.problem = "no RECORD"
        elif self.wheel is None:
            self.problem = "no WHEEL"
        else:
            try:
                tags = [v for k, v in headers(self.wheel) if k == "Tag"]
                self.tag = wheel_tag(tags)
            except ValueError as e:
                self.problem = str(e)
                return
            self.filename = "%s-%s-%s.whl" % (
                self.canonical.replace("-", "_"), self.version, self.tag)


def build_wheel(dist, files_dir, level):
    """Write dist's wheel into files_dir; returns (file count, notes)."""
    p = dist.paths
    wh = headers(dist.wheel)
    purelib = dict(wh).get("Root-Is-Purelib", "true").lower() == "true"
    root, other = (p["purelib"], p["platlib"]) if purelib else \
        (p["platlib"], p["purelib"])
    other_kind = "platlib" if purelib else "purelib"
    data_dir = dist.info[:-len(".dist-info")] + ".data"
    wrappers = entry_point_scripts(
        read_text(os.path.join(dist.info_dir, "entry_points.txt")))
    pythons = {os.path.realpath(os.path.join(p["scripts"], n))
               for n in os.listdir(p["scripts"]) if n.startswith("python")}
    site = os.path.dirname(dist.info_dir)

    def place(abspath):
        """Archive name of an installed file, or None to leave it out."""
        def under(d):
            return abspath == d or abspath.startswith(d.rstrip("/") + "/")

        parts = abspath.split("/")
        if "__pycache__" in parts and abspath.endswith((".pyc", ".pyo")):
            return None
        if under(root):
            rel = os.path.relpath(abspath, root)
            if rel.split("/")[0] == dist.info and os.path.basename(rel) in DROP_INFO:
                return None
            return rel
        if under(other):
            return "%s/%s/%s" % (data_dir, other_kind,
                                 os.path.relpath(abspath, other))
        if under(p["scripts"]):
            rel = os.path.relpath(abspath, p["scripts"])
            if rel in wrappers:
                return None
            return "%s/scripts/%s" % (data_dir, rel)
        if under(p["include"]):
            rel = os.path.relpath(abspath, p["include"]).split("/", 1)
            return "%s/headers/%s" % (data_dir, rel[-1])
        if under(p["data"]):
            return "%s/data/%s" % (data_dir, os.path.relpath(abspath, p["data"]))
        raise ValueError("outside the prefix")

    notes, lines, count = [], [], 0
    tmp = os.path.join(files_dir, dist.filename + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED,
                         compresslevel=level) as z:
        def add(arcname, data, mode=0o644):
            zi = zipfile.ZipInfo(arcname, EPOCH)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = (stat.S_IFREG | mode) << 16
            z.writestr(zi, data, compresslevel=level)
            lines.append((arcname, record_hash(data), str(len(data))))

        for row in csv.reader(io.StringIO(dist.record)):
            if not row or not row[0]:
                continue
            abspath = os.path.normpath(os.path.join(site, row[0]))
            try:
                arcname = place(abspath)
            except ValueError as e:
                notes.append("%s: %s" % (row[0], e))
                continue
            if arcname is None or arcname == dist.info + "/WHEEL":
                continue
            try:
                st = os.stat(abspath)
                with open(abspath, "rb") as f:
                    data = f.read()
            except OSError as e:
                notes.append("%s: %s" % (row[0], e.strerror))
                continue
            if not stat.S_ISREG(st.st_mode):
                notes.append("%s: not a regular file" % row[0])
                continue
            if arcname.startswith(data_dir + "/scripts/"):
                data = unshebang(data, pythons)
            add(arcname, data, st.st_mode & 0o777)
            count += 1
        wheel = ["Wheel-Version: 1.0",
                 "Generator: venvcache make-heavy-mirror.py",
                 "Root-Is-Purelib: %s" % ("true" if purelib else "false")]
        wheel += ["Tag: " + v for k, v in wh if k == "Tag"]
        add(dist.info + "/WHEEL", ("\n".join(wheel) + "\n\n").encode())
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerows(lines)
        w.writerow((dist.info + "/RECORD", "", ""))
        add(dist.info + "/RECORD", out.getvalue().encode())
    os.replace(tmp, os.path.join(files_dir, dist.filename))
    return count + 2, notes


def find_dists(paths):
    """Every distribution in purelib and platlib, first of a name wins."""
    dists, seen, dupes = [], set(), []
    for d in dict.fromkeys((paths["purelib"], paths["platlib"])):
        if not os.path.isdir(d):
            continue
        for entry in sorted(os.listdir(d)):
            if entry.endswith(".dist-info"):
                dist = Dist(os.path.join(d, entry), paths)
                if dist.canonical in seen:
                    dupes.append(dist)
                    continue
                seen.add(dist.canonical)
                dists.append(dist)
    return dists, dupes


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("outdir")
    p.add_argument("--python", metavar="PY",
                   help="the interpreter whose distributions to rebuild")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="wheels built in parallel (default 1)")
    p.add_argument("--level", type=int, default=6, metavar="L",
                   help="deflate level of the wheels (default 6)")
    p.add_argument("--force", action="store_true",
                   help="rebuild every wheel")
    args = p.parse_args()

    if args.python and not os.environ.get("VC_HEAVY_REEXEC"):
        # Look at PY's own site-packages: run this script under PY.
        exe = subprocess.run([args.python, "-c",
                              "import sys; print(sys.executable)"],
                             check=True, capture_output=True,
                             text=True).stdout.strip()
        os.environ["VC_HEAVY_REEXEC"] = "1"
        os.execv(exe, [exe] + sys.argv)

    t0 = time.monotonic()
    outdir = os.path.abspath(args.outdir)
    files_dir = os.path.join(outdir, "files")
    os.makedirs(files_dir, exist_ok=True)
    stamp_path = os.path.join(outdir, "stamp.json")
    try:
        with open(stamp_path) as f:
            stamp = json.load(f)
    except (OSError, ValueError):
        stamp = {}
    if stamp.get("python") != os.path.realpath(sys.executable) or args.force:
        stamp = {}
    built = stamp.get("wheels", {})

    paths = sysconfig.get_paths()
    paths = {k: os.path.realpath(paths[k]) for k in
             ("purelib", "platlib", "scripts", "include", "data")}
    dists, dupes = find_dists(paths)
    skipped = ["%s %s: another %s is earlier" % (d.name, d.version, d.info)
               for d in dupes]
    wanted = []
    for d in dists:
        if d.canonical in SKIP_PROJECTS:
            skipped.append("%s %s: a venv has its own" % (d.name, d.version))
        elif d.problem:
            skipped.append("%s: %s" % (d.info, d.problem))
        else:
            wanted.append(d)

    if not wanted:
        sys.exit("make-heavy-mirror.py: no distribution to rebuild in %s"
                 % " ".join(sorted({paths["purelib"], paths["platlib"]})))
    todo = [d for d in wanted
            if built.get(d.filename) != d.fingerprint
            or not os.path.exists(os.path.join(files_dir, d.filename))]
    keep = {d.filename for d in wanted}
    stale = [f for f in os.listdir(files_dir) if f.endswith(".tmp")
             or f.split(".whl")[0] + ".whl" not in keep]
    index_ok = os.path.exists(os.path.join(outdir, "simple", "index.html"))
    if not todo and not stale and index_ok:
        print("make-heavy-mirror.py: %s is up to date (%d wheels)"
              % (outdir, len(wanted)), file=sys.stderr)
        return

    for f in stale:
        os.unlink(os.path.join(files_dir, f))
    notes = []
    with concurrent.futures.ProcessPoolExecutor(max(1, args.jobs)) as ex:
        futures = {ex.submit(build_wheel, d, files_dir, args.level): d
                   for d in todo}
        for fut in concurrent.futures.as_completed(futures):
            d = futures[fut]
            count, dnotes = fut.result()
            notes += ["%s: %s" % (d.filename, n) for n in dnotes]
            built[d.filename] = d.fingerprint
    built = {k: v for k, v in built.items() if k in keep}

    mirror.write_index(outdir)
    reqs = "".join("%s==%s\n" % (d.canonical, d.version)
                   for d in sorted(wanted, key=lambda d: d.canonical))
    mirror.write_file(os.path.join(outdir, "requirements.txt"), reqs.encode())
    report = "".join(s + "\n" for s in skipped + notes)
    mirror.write_file(os.path.join(outdir, "skipped.txt"), report.encode())
    mirror.write_file(stamp_path, json.dumps(
        {"python": os.path.realpath(sys.executable), "wheels": built},
        indent=1, sort_keys=True).encode())

    size = sum(os.path.getsize(os.path.join(files_dir, d.filename))
               for d in wanted)
    print("make-heavy-mirror.py: %d wheels (%d rebuilt, %.0f MB) in %s, %.1f s"
          % (len(wanted), len(todo), size / 1e6, outdir,
             time.monotonic() - t0), file=sys.stderr)
    for s in skipped + notes:
        print("make-heavy-mirror.py: skipped %s" % s, file=sys.stderr)


if __name__ == "__main__":
    main()
