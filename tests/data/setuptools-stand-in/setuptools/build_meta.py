"""The stand-in's PEP 517/660 hooks, as setuptools.build_meta:__legacy__."""
import base64
import hashlib
import os
import runpy
import sys
import zipfile

import setuptools


def _setup_kw():
    kw = {}
    setuptools._capture = kw
    argv, sys.argv = sys.argv, ["setup.py"]
    try:
        runpy.run_path("setup.py", run_name="__main__")
    finally:
        sys.argv = argv
        setuptools._capture = None
    return kw


def _dist(kw):
    return "%s-%s" % (kw["name"].replace("-", "_"), kw["version"])


def _metadata(kw):
    lines = ["Metadata-Version: 2.1", "Name: " + kw["name"], "Version: " + kw["version"]]
    lines += ["Requires-Dist: " + r for r in kw.get("install_requires", [])]
    return ("\n".join(lines) + "\n").encode()


WHEEL = b"Wheel-Version: 1.0\nGenerator: setuptools-stand-in\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _wheel(directory, kw, files):
    dist = _dist(kw)
    files = dict(files)
    files[dist + ".dist-info/METADATA"] = _metadata(kw)
    files[dist + ".dist-info/WHEEL"] = WHEEL
    record = []
    for n, d in sorted(files.items()):
        h = base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (n, h, len(d)))
    record.append(dist + ".dist-info/RECORD,,")
    files[dist + ".dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    name = dist + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, name), "w") as z:
        for n, d in sorted(files.items()):
            z.writestr(n, d)
    return name


class _Legacy:
    def get_requires_for_build_wheel(self, config_settings=None):
        return []

    def get_requires_for_build_editable(self, config_settings=None):
        return []

    def prepare_metadata_for_build_wheel(self, metadata_directory, config_settings=None):
        kw = _setup_kw()
        d = _dist(kw) + ".dist-info"
        os.makedirs(os.path.join(metadata_directory, d))
        for n, data in (("METADATA", _metadata(kw)), ("WHEEL", WHEEL)):
            with open(os.path.join(metadata_directory, d, n), "wb") as f:
                f.write(data)
        return d

    prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel

    def build_wheel(self, wheel_directory, config_settings=None, metadata_directory=None):
        kw = _setup_kw()
        files = {}
        for m in kw.get("py_modules", []):
            with open(m + ".py", "rb") as f:
                files[m + ".py"] = f.read()
        return _wheel(wheel_directory, kw, files)

    def build_editable(self, wheel_directory, config_settings=None, metadata_directory=None):
        kw = _setup_kw()
        pth = "__editable__.%s.pth" % _dist(kw)
        return _wheel(wheel_directory, kw, {pth: (os.getcwd() + "\n").encode()})


__legacy__ = _Legacy()
