#!/usr/bin/env python3
"""make-wheels.py: the wheels of the end-to-end tests' loopback mirror.

    make-wheels.py OUTDIR
        Write the whole fixture: OUTDIR/files/*.whl and the PEP 503 index
        OUTDIR/simple/ (see mirror.py). The output is byte-for-byte the same
        on every run (fixed zip timestamps), so a built fixture can be reused.

    make-wheels.py OUTDIR --add NAME==VERSION [--requires REQ]...
                          [--requires-python SPEC]
    make-wheels.py OUTDIR --sdist NAME==VERSION
        Publish an sdist, NAME_-VERSION.tar.gz (PEP 625 name: vc_alpha-1.3.tar.gz;
        PKG-INFO and the module), into
        an existing mirror beside the release's wheel: a second file of the
        release, with its own sha256 (pip still installs the wheel).
        Publish one more release into an existing mirror and rewrite its
        index. A project of the fixture keeps its shape (module, console
        script, dependencies) unless --requires/--requires-python are given;
        any other name gives a plain one-module project.

The fixture (what tests may rely on):
    vc-alpha 1.0 1.1 2.0   console script `vc-alpha` prints "vc-alpha VERSION";
                           Requires-Python >=3.7
    vc-beta 1.0            requires vc-alpha>=1.0,<2 (so resolves vc-alpha 1.1);
                           console script `vc-beta` prints
                           "vc-beta 1.0 (vc-alpha X)"
    vc-gamma 1.0           extra `fast` pulls vc-delta>=1.0
    vc-delta 1.0
    Vc_Zope.Interface 5.0  odd spelling: project vc-zope-interface, files
                           Vc_Zope.Interface-5.0-*.whl, module vc_zope_interface
    vc-data 1.0            package data vc_data/greeting.txt (vc_data.greeting()),
                           a #!python script `vc-data-script` (.data/scripts)
                           and share/vc-data/README.txt (.data/data)
    vc-marker 1.0          requires vc-delta; python_version >= "3" and
                           vc-missing (not on the mirror); python_version < "3"
    vc-pre 1.0 2.0rc1      a pre-release, chosen only with --pre
    vc-future 1.0 2.0      2.0 has Requires-Python >=4, so 1.0 is resolved
    vc-backend 1.0         a PEP 517/660 build backend (module vc_backend):
                           builds the wheel, editable wheel or sdist of
                           the package named by pyproject.toml's
                           [project] name, with its version, dependencies
                           and optional-dependencies, or with dynamic
                           dependencies those of [tool.vc-backend]
                           (Python >= 3.11: tomllib)
Every module has __version__ and main() printing "NAME VERSION".

Python 3 standard library only; no network.
"""

import argparse
import base64
import hashlib
import os
import re
import shutil
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mirror  # noqa: E402

EPOCH = (2020, 1, 1, 0, 0, 0)

# name -> shape of the project; "releases" are what a full build writes.
PROJECTS = {
    "vc-alpha": dict(releases=["1.0", "1.1", "2.0"], requires_python=">=3.7",
                     scripts=["vc-alpha"]),
    "vc-beta": dict(releases=["1.0"], requires=["vc-alpha>=1.0,<2"],
                    scripts=["vc-beta"]),
    "vc-gamma": dict(releases=["1.0"], extras=["fast"],
                     requires=['vc-delta>=1.0; extra == "fast"']),
    "vc-delta": dict(releases=["1.0"]),
    "Vc_Zope.Interface": dict(releases=["5.0"]),
    "vc-data": dict(releases=["1.0"], data=True),
    "vc-marker": dict(releases=["1.0"],
                      requires=['vc-delta; python_version >= "3"',
                                'vc-missing; python_version < "3"']),
    "vc-pre": dict(releases=["1.0", "2.0rc1"]),
    "vc-future": dict(releases=["1.0", "2.0"],
                      requires_python={"1.0": ">=3", "2.0": ">=4"}),
    "vc-backend": dict(releases=["1.0"]),
    # Vendored Python 2 code, as some real wheels carry: pip and uv skip
    # what does not compile.
    "vc-legacy": dict(releases=["1.0"], py2=True),
}

MODULE = '''"""{name} {version}: a distribution of venvcache's test mirror."""
__version__ = "{version}"


def main():
    print("{name} {version}")
'''

BETA_MODULE = '''"""{name} {version}: a distribution of venvcache's test mirror."""
import vc_alpha

__version__ = "{version}"


def main():
    print("{name} {version} (vc-alpha %s)" % vc_alpha.__version__)
'''

DATA_MODULE = '''
import os


def greeting():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "greeting.txt")) as f:
        return f.read().strip()
'''

BACKEND_MODULE = '''
import base64, hashlib, os, re, tomllib, zipfile


def _project():
    with open("pyproject.toml", "rb") as f:
        doc = tomllib.load(f)
    p = doc["project"]
    # Dynamic dependencies (dynamic = ["dependencies"]) are read from
    # [tool.vc-backend] dependencies.
    tool = doc.get("tool", {}).get("vc-backend", {})
    mod = re.sub(r"[-_.]+", "_", p["name"]).lower()
    meta = ["Metadata-Version: 2.1", "Name: " + p["name"],
            "Version: " + p["version"]]
    deps = p.get("dependencies", tool.get("dependencies", []))
    meta += ["Requires-Dist: " + r for r in deps]
    for extra, reqs in sorted(p.get("optional-dependencies", {}).items()):
        meta.append("Provides-Extra: " + extra)
        meta += ['Requires-Dist: %s; extra == "%s"' % (r, extra) for r in reqs]
    return mod, "%s-%s" % (mod, p["version"]), "\\n".join(meta) + "\\n"


def _wheel(directory, files):
    mod, dist, meta = _project()
    files = dict(files)
    files[dist + ".dist-info/METADATA"] = meta.encode()
    files[dist + ".dist-info/WHEEL"] = (b"Wheel-Version: 1.0\\nGenerator: vc-backend\\n"
                                        b"Root-Is-Purelib: true\\nTag: py3-none-any\\n")
    rec = []
    for n, d in sorted(files.items()):
        h = base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=")
        rec.append("%s,sha256=%s,%d" % (n, h.decode(), len(d)))
    rec.append(dist + ".dist-info/RECORD,,")
    files[dist + ".dist-info/RECORD"] = ("\\n".join(rec) + "\\n").encode()
    path = os.path.join(directory, dist + "-py3-none-any.whl")
    with zipfile.ZipFile(path, "w") as z:
        for n, d in sorted(files.items()):
            z.writestr(n, d)
    return os.path.basename(path)


def get_requires_for_build_wheel(config_settings=None):
    return []


get_requires_for_build_editable = get_requires_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    mod = _project()[0]
    files = {}
    for root, _, names in os.walk(mod):
        for n in names:
            if n.endswith(".py"):
                p = os.path.join(root, n)
                files[p] = open(p, "rb").read()
    return _wheel(wheel_directory, files)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    mod, dist, _ = _project()
    return _wheel(wheel_directory, {"__editable__.%s.pth" % dist: (os.getcwd() + "\\n").encode()})


get_requires_for_build_sdist = get_requires_for_build_wheel


def build_sdist(sdist_directory, config_settings=None):
    import io, tarfile
    mod, dist, meta = _project()
    names = ["pyproject.toml"]
    for root, _, found in os.walk(mod):
        names += [os.path.join(root, n) for n in found if n.endswith(".py")]
    path = os.path.join(sdist_directory, dist + ".tar.gz")
    with tarfile.open(path, "w:gz") as t:
        for n in sorted(names):
            t.add(n, arcname=dist + "/" + n)
        data = meta.encode()
        info = tarfile.TarInfo(dist + "/PKG-INFO")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return os.path.basename(path)
'''

DATA_SCRIPT = '''#!python
import vc_data
print(vc_data.greeting())
'''


def record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def module_name(name):
    return re.sub(r"[-_.]+", "_", name).lower()


def wheel_stem(name, version):
    """bdist_wheel's escaping: Vc_Zope.Interface stays, vc-alpha -> vc_alpha."""
    return "%s-%s" % (re.sub(r"[^\w.]+", "_", name), version)


def release_files(name, version, shape):
    """The (archive name, bytes, executable) of one release, dist-info last."""
    mod = module_name(name)
    stem = wheel_stem(name, version)
    template = BETA_MODULE if canonical(name) == "vc-beta" else MODULE
    init = template.format(name=name, version=version)
    files = []
    if canonical(name) == "vc-backend":
        init += BACKEND_MODULE
    if shape.get("data"):
        init += DATA_MODULE
        files.append(("%s/greeting.txt" % mod,
                      ("hello from %s %s\n" % (name, version)).encode(), False))
        files.append(("%s.data/scripts/vc-data-script" % stem,
                      DATA_SCRIPT.encode(), True))
        files.append(("%s.data/data/share/vc-data/README.txt" % stem,
                      b"vc-data: a data file installed under the prefix\n",
                      False))
    files.insert(0, ("%s/__init__.py" % mod, init.encode(), False))
    if shape.get("py2"):
        files.insert(1, ("%s/legacy.py" % mod,
                         b'print "Python 2 only"\n', False))

    rp = shape.get("requires_python")
    if isinstance(rp, dict):
        rp = rp.get(version)
    meta = ["Metadata-Version: 2.1", "Name: " + name, "Version: " + version,
            "Summary: %s, a distribution of venvcache's test mirror" % name]
    if rp:
        meta.append("Requires-Python: " + rp)
    meta += ["Provides-Extra: " + e for e in shape.get("extras", [])]
    meta += ["Requires-Dist: " + r for r in shape.get("requires", [])]
    info = stem + ".dist-info/"
    files.append((info + "METADATA", ("\n".join(meta) + "\n\n").encode(), False))
    files.append((info + "WHEEL", b"Wheel-Version: 1.0\n"
                  b"Generator: venvcache make-wheels.py\n"
                  b"Root-Is-Purelib: true\nTag: py3-none-any\n\n", False))
    scripts = shape.get("scripts", [])
    if scripts:
        eps = "[console_scripts]\n" + "".join(
            "%s = %s:main\n" % (s, mod) for s in scripts)
        files.append((info + "entry_points.txt", eps.encode(), False))
    files.append((info + "top_level.txt", (mod + "\n").encode(), False))
    return files


def write_wheel(files_dir, name, version, shape):
    """Write one wheel into files_dir; returns its file name."""
    fn = wheel_stem(name, version) + "-py3-none-any.whl"
    record = wheel_stem(name, version) + ".dist-info/RECORD"
    tmp = os.path.join(files_dir, fn + ".tmp")
    lines = []
    with zipfile.ZipFile(tmp, "w") as z:
        for arcname, data, executable in release_files(name, version, shape):
            zi = zipfile.ZipInfo(arcname, EPOCH)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = (0o100755 if executable else 0o100644) << 16
            z.writestr(zi, data)
            lines.append("%s,%s,%d\n" % (arcname, record_hash(data), len(data)))
        lines.append(record + ",,\n")
        zi = zipfile.ZipInfo(record, EPOCH)
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.external_attr = 0o100644 << 16
        z.writestr(zi, "".join(lines))
    os.replace(tmp, os.path.join(files_dir, fn))
    return fn


def write_sdist(files_dir, name, version):
    """Write NAME-VERSION.tar.gz (fixed times: the same bytes every run)."""
    import io
    import tarfile
    mod = module_name(name)
    stem = "%s-%s" % (mod, version)  # PEP 625
    members = [
        ("PKG-INFO", ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n"
                      % (name, version)).encode()),
        ("%s.py" % mod, ('__version__ = "%s"\n' % version).encode()),
    ]
    fn = stem + ".tar.gz"
    path = os.path.join(files_dir, fn)
    if os.path.exists(path):
        sys.exit("make-wheels.py: '%s' is already published" % fn)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for arcname, data in members:
            ti = tarfile.TarInfo("%s/%s" % (stem, arcname))
            ti.size, ti.mtime, ti.mode = len(data), 1577836800, 0o644
            t.addfile(ti, io.BytesIO(data))
    import gzip
    with open(path + ".tmp", "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as g:
            g.write(buf.getvalue())
    os.replace(path + ".tmp", path)
    return fn


def canonical(name):
    return mirror.canonical_name(name)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("outdir")
    p.add_argument("--add", metavar="NAME==VERSION",
                   help="publish one release into an existing mirror")
    p.add_argument("--requires", action="append", metavar="REQ",
                   help="with --add: a Requires-Dist line (repeatable)")
    p.add_argument("--requires-python", metavar="SPEC",
                   help="with --add: the Requires-Python of the release")
    p.add_argument("--sdist", metavar="NAME==VERSION",
                   help="publish an sdist of a release into an existing mirror")
    args = p.parse_args()
    files_dir = os.path.join(args.outdir, "files")

    if args.sdist is not None:
        m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*(\S+)\s*",
                         args.sdist)
        if not m or args.add is not None:
            p.error("--sdist takes NAME==VERSION, alone")
        if not os.path.isdir(files_dir):
            sys.exit("make-wheels.py: no mirror at '%s'" % args.outdir)
        write_sdist(files_dir, *m.groups())
        mirror.write_index(args.outdir)
        return

    if args.add is None:
        if args.requires or args.requires_python:
            p.error("--requires and --requires-python go with --add")
        for sub in ("files", "simple"):
            shutil.rmtree(os.path.join(args.outdir, sub), ignore_errors=True)
        os.makedirs(files_dir)
        for name, shape in PROJECTS.items():
            for version in shape["releases"]:
                write_wheel(files_dir, name, version, shape)
    else:
        m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*(\S+)\s*",
                         args.add)
        if not m:
            p.error("--add takes NAME==VERSION, not '%s'" % args.add)
        name, version = m.groups()
        shape = {}
        for known, s in PROJECTS.items():
            if canonical(known) == canonical(name):
                name, shape = known, dict(s)
        if args.requires is not None:
            shape["requires"] = args.requires
        if args.requires_python is not None:
            shape["requires_python"] = args.requires_python
        if not os.path.isdir(files_dir):
            sys.exit("make-wheels.py: no mirror at '%s'" % args.outdir)
        fn = wheel_stem(name, version) + "-py3-none-any.whl"
        if os.path.exists(os.path.join(files_dir, fn)):
            sys.exit("make-wheels.py: '%s' is already published" % fn)
        write_wheel(files_dir, name, version, shape)
    mirror.write_index(args.outdir)


if __name__ == "__main__":
    main()
