#!/usr/bin/env python3
"""tox4-view.py: what tox 4 itself would install into each environment.

Runs real tox 4 (the pinned tox and tox-uv that scripts/tox4-venv.sh,
run by scripts/bootstrap.sh, installs into build/tox4) over a tox.ini and writes one JSON object a line,
in tox's order of `tox config -e ALL`:

  env          the environment's name
  deps         tox's deps, in order, as tox 4 reads them
  groups       the requirements of its dependency_groups, resolved by tox's
               own code (tox.tox_env.python.dependency_groups.resolve), as
               str(Requirement), sorted
  package      tox 4's package type (skip, wheel, sdist, editable, ...)
  extras       its extras, sorted
  base_python  tox's base_python (its first entry), or null when tox would
               use the interpreter it runs under (no factor, no setting)
  pip_pre      tox's pip_pre

When tox 4 refuses the file, one line {"error": "..."} with tox's message.

Usage (with build/tox4/bin/python, which has tox):
  build/tox4/bin/python scripts/tox4-view.py TOX_INI [PYPROJECT] > OUT.jsonl
  build/tox4/bin/python scripts/tox4-view.py DIR > OUT.jsonl

TOX_INI (and PYPROJECT, as pyproject.toml) are copied into an empty
directory, so that tox finds nothing else. A DIR (a project with a
tox.toml, or a pyproject.toml with a native [tool.tox], and the files its
configuration names) is copied whole, and tox finds its configuration
there as it always does (tox.ini, setup.cfg, pyproject.toml, tox.toml). Nothing is installed and no
environment is created: tox only reads its configuration. [tox] requires
is overridden to nothing (-x tox.requires=): it says what tox itself runs
under, not what an environment gets, and with it tox would provision an
older tox into .tox/.tox to read the file (sentry 2024: virtualenv<20.26.3).
Run by hand to
make tests/data/sentry-python/tox4-*.expected.jsonl; tests never run it.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

KEYS = ["deps", "dependency_groups", "package", "base_python", "pip_pre",
        "extras"]


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    from tox.tox_env.python.dependency_groups import resolve

    tox = Path(sys.executable).with_name("tox")
    with tempfile.TemporaryDirectory(prefix="tox4-view.") as d:
        root = Path(d) / "project"
        if Path(sys.argv[1]).is_dir():
            shutil.copytree(sys.argv[1], root)
        else:
            root.mkdir()
            shutil.copy(sys.argv[1], root / "tox.ini")
        if len(sys.argv) == 3:
            shutil.copy(sys.argv[2], root / "pyproject.toml")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TOX_", "PIP_", "UV_"))}
        env["HOME"] = str(root)
        env["VC_TOML_PIN"] = "pytz==2024.2"  # tests/data/tox-toml  # {env:HOME}, {homedir}: no user's
        r = subprocess.run(
            [str(tox), "config", "--root", str(root), "-e", "ALL",
             "--format", "json", "-x", "tox.requires=", "-k", *KEYS],
            cwd=root, env=env, capture_output=True, text=True, check=False)
        try:
            doc = json.loads(r.stdout)
        except ValueError:
            last = (r.stdout + r.stderr).strip().splitlines()
            print(json.dumps({"error": last[-1] if last else
                              f"tox exited {r.returncode}"}))
            return
        for name, conf in doc["env"].items():
            if name.startswith("."):  # .pkg: tox's packaging environment
                continue
            # a value tox could not load: "# Exception: ..." (text form)
            # or {"error": "..."} (--format json)
            bad = [v["error"] if isinstance(v, dict) else v
                   for v in (conf.values() if isinstance(conf, dict) else [])
                   if (isinstance(v, str) and v.startswith("# Exception"))
                   or (isinstance(v, dict) and set(v) == {"error"})]
            if bad:
                print(json.dumps({"env": name, "error": bad[0]}))
                continue
            groups = set(conf.get("dependency_groups") or [])
            reqs = sorted(str(q) for q in resolve(root, groups)) if groups \
                else []
            bp = conf.get("base_python") or []
            here = os.path.realpath(sys.executable)
            explicit = [b for b in bp if os.path.realpath(b) != here]
            print(json.dumps({
                "env": name,
                "deps": conf.get("deps") or [],
                "groups": reqs,
                "package": conf.get("package"),
                "extras": sorted(conf.get("extras") or []),
                "base_python": explicit[0] if explicit else None,
                "pip_pre": bool(conf.get("pip_pre")),
            }, sort_keys=False))


if __name__ == "__main__":
    main()
