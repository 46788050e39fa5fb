"""A stand-in for setuptools >= 80, for t-project-setuppy (no network).

Like setuptools 80 and later, its "setup.py develop" would run
"pip install -e . --use-pep517" with build isolation and the index: here it
simply fails, so an install of the project that takes that path fails as a
real one does with the mirror stopped. Its PEP 517/660 backend
(setuptools.build_meta:__legacy__, the one pip uses for a setup.py without
pyproject.toml) builds the project from what setup.py passes to setup():
name, version, install_requires, py_modules.
"""
import sys

__version__ = "99.0"
_capture = None  # a dict while build_meta runs setup.py


def setup(**kw):
    if _capture is not None:
        _capture.update(kw)
        return
    if "develop" in sys.argv[1:]:
        sys.exit("setuptools stand-in: 'setup.py develop' runs pip install -e . "
                 "with build isolation and the index (as setuptools >= 80 does)")
    sys.exit("setuptools stand-in: unsupported command %r" % sys.argv[1:])
