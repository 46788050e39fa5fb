"""A minimal in-tree PEP 517/660 build backend for the test project.

build_editable writes a wheel whose .pth file puts this directory on
sys.path (what setuptools' editable installs do, without setuptools).
"""
import base64
import hashlib
import os
import zipfile

NAME, VERSION = "vc_project", "0.1"
DIST = "%s-%s" % (NAME, VERSION)
HERE = os.path.dirname(os.path.abspath(__file__))


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "%s,sha256=%s,%d" % (name, digest.decode(), len(data))


def _wheel(directory, files):
    path = os.path.join(directory, DIST + "-py3-none-any.whl")
    files = dict(files)
    files[DIST + ".dist-info/METADATA"] = (
        "Metadata-Version: 2.1\nName: vc-project\nVersion: %s\n" % VERSION).encode()
    files[DIST + ".dist-info/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: vcbackend\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    record = [_record_line(n, d) for n, d in sorted(files.items())]
    record.append(DIST + ".dist-info/RECORD,,")
    files[DIST + ".dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, d in sorted(files.items()):
            z.writestr(n, d)
    return os.path.basename(path)


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    init = open(os.path.join(HERE, NAME, "__init__.py"), "rb").read()
    return _wheel(wheel_directory, {NAME + "/__init__.py": init})


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {"__editable__.%s.pth" % DIST: (HERE + "\n").encode()})
