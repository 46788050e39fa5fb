#!/usr/bin/env python3
"""bench.py: venvcache against what users would do instead, in one run.

Called by scripts/bench.sh (which builds venvcache first). For each fixture
(a heavy environment rebuilt from this machine's own Python, real PyPI
stacks when PyPI is reachable, a small set of test wheels), every command
is timed side by side in this one run (median of --runs, with min and max)
and the ratios the project targets are computed from those figures only.
Results go to stdout and to BENCHMARKS.md with the command that made them.

Nothing here is a test: a slow figure is reported, never failed.
"""

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = os.path.realpath(sys.executable)

# Real stacks from PyPI (pinned so that runs compare).
PYPI_STACKS = {
    "django": ["django==4.2.16", "djangorestframework==3.15.2", "pytest==8.3.3",
               "pytest-django==4.9.0", "pytest-cov==5.0.0", "requests==2.32.3",
               "celery==5.4.0", "redis==5.1.1", "psycopg2-binary==2.9.10"],
    "datascience": ["numpy==1.26.4", "pandas==2.2.3", "scipy==1.14.1",
                    "scikit-learn==1.5.2", "matplotlib==3.9.2", "pytest==8.3.3"],
}

# uv and uv-heavy: issue 13 (against uv, on the small and the heavy fixture);
# tox: issue 14 (tox-uv against the tox plugin).
FIXTURES = ["small", "heavy", "pypi", "projects", "resolve", "many", "uv", "uv-heavy", "tox"]

# The uv compared against: the one scripts/bootstrap.sh pins into build/tools
# (installed here the same way when it is not there).
UV_VERSION = "0.13.8"
UV_TOOLS = os.path.join(ROOT, "build/tools")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def timed(cmd, env=None, cwd=None):
    """Runs cmd (a shell string); returns (seconds, peak RSS in KiB).

    The peak RSS comes from GNU time: a child forked from this Python
    would report this Python's own RSS as its floor.
    """
    with tempfile.NamedTemporaryFile("r") as rss:
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, "sh", "-c", cmd],
                           env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError("command failed: %s\n%s" % (
                cmd, p.stderr.decode(errors="replace")[-2000:]))
        try:
            kib = int(rss.read().strip().splitlines()[-1])
        except (ValueError, IndexError):
            kib = 0
    return dt, kib


def timed_direct(cmd, env=None, cwd=None):
    """Runs a simple command (no shell syntax) straight from this Python and
    returns its seconds: no sh and no GNU time around it, whose own start
    (about 2 ms) would swamp the millisecond rows."""
    argv = shlex.split(quiet(cmd))
    t0 = time.perf_counter()
    p = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError("command failed: %s\n%s" % (
            cmd, p.stderr.decode(errors="replace")[-2000:]))
    return dt


def quiet(cmd):
    """cmd without its "> /dev/null": every command's output goes there."""
    return re.sub(r"\s*>\s*/dev/null\s*$", "", cmd)


def simple(cmd):
    return not re.search(r"[|&;<>()$`\\]", quiet(cmd))


class Bench:
    def __init__(self, runs):
        self.runs = runs
        self.rows = {}  # fixture -> list of (label, stats)

    def measure(self, fixture, label, cmd, prepare=None, env=None, runs=None, cwd=None):
        """Times cmd runs times (after prepare, each), in cwd. The peak RSS
        comes from GNU time; a simple command under a second is then timed
        without it (that first run is left out)."""
        times, rss = [], 0
        n = runs or self.runs
        if prepare:
            sh(prepare, env=env)
        dt, rss = timed(cmd, env, cwd)
        direct = simple(cmd) and dt < 1.0
        if not direct:
            times.append(dt)
        while len(times) < n:
            if prepare:
                sh(prepare, env=env)
            if direct:
                times.append(timed_direct(cmd, env, cwd))
            else:
                dt, r = timed(cmd, env, cwd)
                times.append(dt)
                rss = max(rss, r)
        st = {"median": statistics.median(times), "min": min(times),
              "max": max(times), "runs": len(times), "rss_kib": rss,
              "cmd": "cd %s && %s" % (cwd, cmd) if cwd else cmd}
        self.rows.setdefault(fixture, []).append((label, st))
        log("  %-46s %9.3f s  (%.3f-%.3f, %d runs, peak %d MiB)" % (
            label, st["median"], st["min"], st["max"], st["runs"], rss // 1024))
        return st


def uv_version(uv):
    try:
        out = subprocess.run([uv, "--version"], capture_output=True, text=True).stdout
    except OSError:
        return None
    # "uv 0.13.8 (x86_64-unknown-linux-gnu)"
    return out.split()[1] if len(out.split()) > 1 else None


def pinned_uv(online):
    """build/tools/bin/uv at exactly UV_VERSION, installed with pip into that
    venv when missing or another version (PyPI needed then); else None."""
    uv = os.path.join(UV_TOOLS, "bin/uv")
    if uv_version(uv) == UV_VERSION:
        return uv
    if not online:
        return None
    log("== installing uv==%s from PyPI into %s" % (UV_VERSION, UV_TOOLS))
    shutil.rmtree(UV_TOOLS, ignore_errors=True)
    sh("%s -m venv %s && %s/bin/pip install -q --disable-pip-version-check uv==%s" % (
        PY, UV_TOOLS, UV_TOOLS, UV_VERSION), env=dict(os.environ, PIP_CONFIG_FILE=os.devnull))
    if uv_version(uv) != UV_VERSION:
        raise RuntimeError("%s is not uv %s" % (uv, UV_VERSION))
    return uv


def start_mirror(tree, workdir):
    port_file = os.path.join(workdir, "mirror.port")
    if os.path.exists(port_file):
        os.unlink(port_file)
    p = subprocess.Popen([PY, os.path.join(ROOT, "scripts/mirror.py"), "serve", tree,
                          "--port-file", port_file],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(port_file) and open(port_file).read().strip():
            break
        time.sleep(0.05)
    port = open(port_file).read().strip()
    return p, "http://127.0.0.1:%s/simple" % port


def start_nginx(work):
    """Debian's nginx with WebDAV PUT serving work/remote on 127.0.0.1, as the
    tests' remote store: returns the process, its URL and the directory."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    d, root = os.path.join(work, "nginx"), os.path.join(work, "remote")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(d, exist_ok=True)
    os.makedirs(root)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write("""daemon off;
master_process off;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %(d)s/body;
    proxy_temp_path %(d)s/proxy;
    fastcgi_temp_path %(d)s/fastcgi;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:%(port)d;
        root %(root)s;
        client_max_body_size 0;
        location / {
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw;
        }
    }
}
""" % {"d": d, "port": port, "root": root})
    p = subprocess.Popen([nginx, "-p", d, "-e", os.path.join(d, "error.log"),
                          "-c", os.path.join(d, "nginx.conf")],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return p, "http://127.0.0.1:%d" % port, root
        except OSError:
            if p.poll() is not None:
                break
            time.sleep(0.05)
    p.terminate()
    raise SystemExit("bench: nginx did not start: see %s/error.log" % d)


def bench_remote(b, name, reqfile, mirror_url, work, vc, shm, remote_url, remote_root):
    """A remote hit (nginx on loopback) of the entry bench_fixture made,
    beside the plain transfer of its archive by curl."""
    log("== remote store (nginx on 127.0.0.1): %s" % name)
    fx = "remote-" + name
    store = os.path.join(work, "store-" + name)
    store2 = os.path.join(work, "store-remote-" + name)
    root = os.path.join(shm, "root")
    venv = os.path.join(root, name)
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, VENVCACHE_CACHE_DIR=store,
               VENVCACHE_VENV_ROOT=root, VENVCACHE_INDEX_URL=mirror_url,
               VENVCACHE_RESOLVE="never", VENVCACHE_PARTIAL="no",
               VENVCACHE_REMOTE="%s/%s" % (remote_url, name))
    for k in list(env):
        if k.startswith("PIP_") and k != "PIP_CONFIG_FILE":
            del env[k]
    # The local store and the venv are bench_fixture's: save uploads.
    sh("%s save -q -r %s --name %s -p %s" % (vc, reqfile, name, PY), env=env)
    archives = [os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(remote_root, name))
                for f in fs if f.endswith(".tar.zst")]
    if len(archives) != 1:
        raise SystemExit("bench: expected one archive on the remote, found %r" % archives)
    rel = os.path.relpath(archives[0], remote_root)
    warm = "%s warm -q -r %s --name %s -p %s" % (vc, reqfile, name, PY)
    out = {"archive": os.path.getsize(archives[0])}
    env2 = dict(env, VENVCACHE_CACHE_DIR=store2)
    # The entry leaves the local store; its interpreter probe stays, as on
    # a runner whose store holds other entries.
    sh("rm -rf %s" % store2)
    sh(warm, env=env2)
    out["remote_hit"] = b.measure(fx, "venvcache warm, remote hit (entry not in the local store)",
                                  warm, prepare="rm -rf %s %s/entries/*" % (venv, store2), env=env2)
    out["local_hit"] = b.measure(fx, "venvcache warm, local hit (venv removed)", warm,
                                 prepare="rm -rf %s" % venv, env=env2)
    out["transfer"] = b.measure(fx, "curl GET of the archive (loopback transfer)",
                                "curl -sSf -o /dev/null %s/%s" % (remote_url, rel))
    sh("rm -rf %s" % store2)
    return out


def pypi_reachable():
    try:
        urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=10).read(100)
        return True
    except Exception:
        return False


def build_pypi_fixture(name, reqs, out):
    """Downloads real wheels for this interpreter and indexes them."""
    stamp = os.path.join(out, "stamp.json")
    if os.path.exists(stamp) and json.load(open(stamp)) == reqs:
        return True
    files = os.path.join(out, "files")
    os.makedirs(files, exist_ok=True)
    log("== downloading the %s stack from PyPI" % name)
    r = subprocess.run([PY, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
                        "-d", files] + reqs,
                       env=dict(os.environ, PIP_CONFIG_FILE=os.devnull))
    if r.returncode != 0:
        return False
    sh("%s %s/scripts/mirror.py index %s" % (PY, ROOT, out))
    with open(os.path.join(out, "requirements.txt"), "w") as f:
        f.write("\n".join(reqs) + "\n")
    json.dump(reqs, open(stamp, "w"))
    return True


# Real projects under test, as their developers test them: the source is the
# sdist from PyPI, the requirements file names the project (-e .), so every
# install below includes the project's own. The requirements file is the one
# the sdist ships (requests) or is written here from what the sdist ships.
# "wheels" are what the file's lines do not bring: the project's own wheel
# (for its dependencies; it is removed from the wheelhouse after) and its
# build backend (pip's default for a setup.py project).
PROJECTS = [
    {"name": "requests", "sdist": "requests==2.32.3", "module": "requests",
     "reqfile": "requirements-dev.txt", "write": None,
     "about": "setup.py (dynamic dependencies), `-e .[socks]` and ranges, as shipped",
     "wheels": ["requests[socks]==2.32.3", "setuptools>=40.8.0", "wheel"]},
    {"name": "itsdangerous", "sdist": "itsdangerous==2.2.0", "module": "itsdangerous",
     "reqfile": "requirements-dev.txt", "write": "-e .\n-r requirements/tests.txt\n",
     "about": "pyproject.toml and flit_core, `-e .` and the sdist's pinned "
              "requirements/tests.txt",
     "wheels": ["flit_core<4"]},
    {"name": "retrying", "sdist": "retrying==1.3.4", "module": "retrying",
     "reqfile": "requirements-dev.txt", "write": "-e .\npytest==8.1.1\n",
     "about": "setup.py only (install_requires read from its requirements.txt), "
              "`-e .` and a pinned pytest",
     "wheels": ["retrying==1.3.4", "setuptools>=40.8.0", "wheel"]},
]


def pip_download(args):
    r = subprocess.run([PY, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
                       + args, env=dict(os.environ, PIP_CONFIG_FILE=os.devnull))
    if r.returncode != 0:
        raise RuntimeError("pip download %s failed" % " ".join(args))


def project_sources(wh, work):
    """The projects' sources, extracted afresh from the cached sdists into
    work/projects (so every run starts from the sdist as published, without
    the egg-info a previous run's installs left). Returns name -> directory."""
    import tarfile
    top = os.path.join(work, "projects")
    shutil.rmtree(top, ignore_errors=True)
    os.makedirs(top)
    out = {}
    for pr in PROJECTS:
        name, ver = pr["sdist"].split("==")
        sd = [f for f in os.listdir(os.path.join(wh, "sdists"))
              if f.lower().startswith("%s-%s." % (name.lower(), ver))]
        if len(sd) != 1:
            raise RuntimeError("no sdist of %s in %s/sdists" % (pr["sdist"], wh))
        with tarfile.open(os.path.join(wh, "sdists", sd[0])) as t:
            t.extractall(top, filter="data")
        src = os.path.join(top, "%s-%s" % (name, ver))
        if pr["write"]:
            with open(os.path.join(src, pr["reqfile"]), "w") as f:
                f.write(pr["write"])
        out[pr["name"]] = src
    return out


def build_wheelhouse(wh, work):
    """Downloads, once, the projects' sdists and every wheel their
    requirements files, dependencies and build backends need for this
    interpreter into wh (files/, sdists/), and indexes the wheels. Kept
    across runs while PROJECTS is unchanged. Returns name -> source dir."""
    stamp = os.path.join(wh, "stamp.json")
    spec = {"projects": PROJECTS, "python": PY, "recipe": 2}
    if not (os.path.exists(stamp) and json.load(open(stamp)) == spec):
        log("== downloading the projects' sdists and wheels from PyPI into %s" % wh)
        shutil.rmtree(wh, ignore_errors=True)
        os.makedirs(os.path.join(wh, "files"))
        pip_download(["--no-deps", "--no-binary", ":all:", "-d", os.path.join(wh, "sdists")]
                     + [pr["sdist"] for pr in PROJECTS])
        srcs = project_sources(wh, work)
        for pr in PROJECTS:
            src = srcs[pr["name"]]
            # The requirements file without the project's own line; a
            # nested -r/-c made absolute (pip reads it from the file's dir).
            lines = []
            for line in open(os.path.join(src, pr["reqfile"])):
                line = line.strip()
                if not line or line.startswith("#") or line.startswith("-e") or \
                        line == "." or line.startswith(".["):
                    continue
                m = re.match(r"(-r|-c|--requirement|--constraint)\s*(\S+)$", line)
                if m:
                    line = "%s %s" % (m.group(1), os.path.abspath(os.path.join(src, m.group(2))))
                lines.append(line)
            dl = os.path.join(wh, pr["name"] + ".txt")
            with open(dl, "w") as f:
                f.write("\n".join(lines) + "\n")
            pip_download(["--only-binary", ":all:", "-d", os.path.join(wh, "files"), "-r", dl])
            # Its dependencies and backend, but not its own wheel (unless
            # the lines above need it): the project comes from its source.
            tmp = os.path.join(wh, "tmp")
            pip_download(["--only-binary", ":all:", "-d", tmp] + pr["wheels"])
            own = pr["sdist"].split("==")[0].lower() + "-"
            for f in os.listdir(tmp):
                if not f.lower().startswith(own):
                    os.replace(os.path.join(tmp, f), os.path.join(wh, "files", f))
            shutil.rmtree(tmp)
        sh("%s %s/scripts/mirror.py index %s" % (PY, ROOT, wh))
        json.dump(spec, open(stamp, "w"))
    return project_sources(wh, work)


def installed(venv):
    """name==version of every distribution in a venv (its .dist-info names)."""
    sp = [os.path.join(dp, d) for dp, dns, _ in os.walk(os.path.join(venv, "lib"))
          for d in dns if d == "site-packages"]
    out = []
    for d in sp:
        for n in os.listdir(d):
            if n.endswith(".dist-info"):
                name, _, ver = n[:-len(".dist-info")].partition("-")
                out.append("%s==%s" % (name, ver))
    return sorted(out, key=str.lower)


def bench_project(b, pr, src, mirror_url, work, vc, uv, shm):
    """One real project: venvcache's miss, hit and no-op against venv + pip
    and uv (cold and warm cache), each including the project's install, all
    run in the project's source directory as its developers would."""
    name = pr["name"]
    log("== project %s" % name)
    store = os.path.join(work, "store-" + name)
    root = os.path.join(shm, "root")
    venv = os.path.join(root, name)
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, VENVCACHE_CACHE_DIR=store,
               VENVCACHE_VENV_ROOT=root, VENVCACHE_INDEX_URL=mirror_url,
               VENVCACHE_PARTIAL="no")
    for k in list(env):
        if (k.startswith("PIP_") and k != "PIP_CONFIG_FILE") or k.startswith("UV_") or \
                k.startswith("VENVCACHE_RESOLVE"):
            del env[k]
    rq = pr["reqfile"]
    warm = "%s warm -q -r %s --name %s -p %s" % (vc, rq, name, PY)
    out = {"env": env, "warm": warm}
    out["miss"] = b.measure(name, "venvcache warm, miss (venv + pip + pack + project)", warm,
                            prepare="rm -rf %s %s" % (store, venv), env=env, cwd=src)
    out["hit"] = b.measure(name, "venvcache warm, hit (restore + project)", warm,
                           prepare="rm -rf %s" % venv, env=env, cwd=src)
    out["present"] = b.measure(name, "venvcache warm, present (no-op)", warm, env=env,
                               cwd=src, runs=max(b.runs, 20))
    out["project"] = b.measure(
        name, "the project's install alone, pip (what the project cache spares a hit)",
        "%s/bin/python -m pip install -q --no-input --no-deps --no-build-isolation "
        "--no-index --use-pep517 -e ." % venv, env=env, cwd=src)
    if uv:
        # The same hit when uv is installed (installer = auto finds it):
        # uv installs the project. installer is not in the key, so the
        # store's entry serves both.
        # uv's cache for venvcache's own installs (uv-cache-dir), kept
        # between runs as a user's is.
        vcuvcache = os.path.join(work, "uv-cache-venvcache")
        uvhenv = dict(env, VENVCACHE_UV=uv, VENVCACHE_UV_CACHE_DIR=vcuvcache,
                      VENVCACHE_BYTECODE_CACHE_DIR=vcuvcache + ".bytecode")
        out["hit_uv"] = b.measure(name, "venvcache warm, hit, installer uv (restore + project)",
                                  warm, prepare="rm -rf %s" % venv, env=uvhenv, cwd=src)
        out["project_uv"] = b.measure(
            name, "the project's install alone, uv (what the project cache spares a hit)",
            "%s pip install -q --python %s/bin/python --no-deps --no-build-isolation "
            "--no-index -e ." % (uv, venv), env=dict(uvhenv, UV_CACHE_DIR=vcuvcache,
                                                    UV_LINK_MODE="copy"), cwd=src)
    out["dists"] = installed(venv)
    if uv:
        # The venv uv itself makes, with neither pip nor setuptools (seed =
        # no, installer = uv): the hit like for like against uv's. seed is in
        # the key, so this is an entry of its own, made first; the default
        # venv is put back after.
        slenv = dict(uvhenv, VENVCACHE_SEED="no", VENVCACHE_INSTALLER="uv")
        sh("rm -rf %s && %s" % (venv, warm), env=slenv, cwd=src, stdout=subprocess.DEVNULL)
        out["hit_noseed"] = b.measure(
            name, "venvcache warm, hit, seed = no + installer uv (no pip in the venv, as uv's)",
            warm, prepare="rm -rf %s" % venv, env=slenv, cwd=src)
        # Issue 13's miss with the project, against uv making the same
        # venv: seed = no, installer uv; resolve + create + install + pack
        # + the project. Cold: the store, uv's cache and the bytecode cache
        # emptied; warm: the store emptied, both caches kept.
        mcache = os.path.join(work, "uv-cache-miss-" + name)
        menv = dict(slenv, VENVCACHE_UV_CACHE_DIR=mcache,
                    VENVCACHE_BYTECODE_CACHE_DIR=mcache + ".bytecode")
        out["miss_uv_cold"] = b.measure(
            name, "venvcache warm, miss, seed = no + installer uv, cold uv and bytecode caches",
            warm, prepare="rm -rf %s %s %s %s.bytecode" % (store, venv, mcache, mcache),
            env=menv, cwd=src)
        out["miss_uv_warm"] = b.measure(
            name, "venvcache warm, miss, seed = no + installer uv, warm uv and bytecode caches",
            warm, prepare="rm -rf %s %s" % (store, venv), env=menv, cwd=src)
        sh("rm -rf %s %s && %s" % (store, venv, warm), env=env, cwd=src,
           stdout=subprocess.DEVNULL)
    pipvenv = os.path.join(shm, "pip-" + name)
    out["pip"] = b.measure(
        name, "python -m venv + pip install (mirror)",
        "%s -m venv %s && %s/bin/pip install -q --disable-pip-version-check "
        "--index-url %s -r %s" % (PY, pipvenv, pipvenv, mirror_url, rq),
        prepare="rm -rf %s" % pipvenv, env=env, cwd=src)
    if uv:
        uvcache = os.path.join(work, "uv-cache")
        uvvenv = os.path.join(shm, "uv-" + name)
        uvcmd = ("%s venv -q --python %s %s && %s pip install -q --python %s/bin/python "
                 "--index-url %s -r %s" % (uv, PY, uvvenv, uv, uvvenv, mirror_url, rq))
        uvenv = dict(env, UV_CACHE_DIR=uvcache, UV_NO_CONFIG="1")
        out["uv_cold"] = b.measure(name, "uv venv + uv pip install, cold cache", uvcmd,
                                   prepare="rm -rf %s %s" % (uvvenv, uvcache), env=uvenv,
                                   cwd=src)
        out["uv_warm"] = b.measure(name, "uv venv + uv pip install, warm cache", uvcmd,
                                   prepare="rm -rf %s" % uvvenv, env=uvenv, cwd=src)
        sh("rm -rf %s" % uvvenv)
    sh("rm -rf %s" % pipvenv)
    return out


def bench_offline(b, pr, src, r, shm):
    """A hit with the mirror stopped (its port closed) must succeed and leave
    the project importable: timed like the hit, and checked. Returns None,
    or why it failed."""
    name = pr["name"]
    venv = os.path.join(shm, "root", name)
    try:
        r["offline"] = b.measure(name, "venvcache warm, hit, mirror stopped", r["warm"],
                                 prepare="rm -rf %s" % venv, env=r["env"], cwd=src)
    except RuntimeError as e:
        return "%s: a hit with the mirror stopped failed: %s" % (
            name, str(e).strip().splitlines()[-1])
    p = subprocess.run([os.path.join(venv, "bin/python"), "-c",
                        "import %s; print(%s.__file__)" % (pr["module"], pr["module"])],
                       cwd=shm, capture_output=True, text=True)
    where = os.path.realpath(p.stdout.strip()) if p.returncode == 0 else ""
    if not where.startswith(os.path.realpath(src) + "/"):
        return "%s: after a hit with the mirror stopped, %s does not import from %s: %s" % (
            name, pr["module"], src, (p.stdout + p.stderr).strip().splitlines()[-1:])
    r["offline_ok"] = True
    return None

def tree_stats(path):
    n, size = 0, 0
    for dp, dns, fns in os.walk(path):
        n += len(dns) + len(fns)
        for f in fns:
            try:
                st = os.lstat(os.path.join(dp, f))
                size += st.st_size
            except OSError:
                pass
    return n, size


def bench_fixture(b, name, reqfile, mirror_url, work, vc, uv, shm):
    """Times every alternative for one requirements file."""
    log("== fixture %s" % name)
    store = os.path.join(work, "store-" + name)
    root = os.path.join(shm, "root")
    venv = os.path.join(root, name)
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, VENVCACHE_CACHE_DIR=store,
               VENVCACHE_VENV_ROOT=root, VENVCACHE_INDEX_URL=mirror_url,
               VENVCACHE_RESOLVE="never", VENVCACHE_PARTIAL="no")
    for k in list(env):
        if k.startswith("PIP_") and k != "PIP_CONFIG_FILE":
            del env[k]
    warm = "%s warm -q -r %s --name %s -p %s" % (vc, reqfile, name, PY)
    out = {}

    out["miss"] = b.measure(name, "venvcache warm, miss (venv + pip + pack)", warm,
                            prepare="rm -rf %s %s" % (store, venv), env=env)
    out["hit"] = b.measure(name, "venvcache warm, hit (venv removed)", warm,
                           prepare="rm -rf %s" % venv, env=env)
    out["present"] = b.measure(name, "venvcache warm, present (no-op)", warm, env=env,
                               runs=max(b.runs, 20))
    key = subprocess.run("%s key -r %s --name %s -p %s" % (vc, reqfile, name, PY),
                         shell=True, env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    manifest = json.load(open(os.path.join(store, "entries", key + ".json")))
    archive = os.path.join(store, "entries", key + ".tar.zst")
    files, size = tree_stats(venv)
    out["tree"] = {"files": files, "bytes": size, "archive": os.path.getsize(archive),
                   "unpacked": manifest["unpacked_size"]}

    pipenv = dict(env)
    pipvenv = os.path.join(shm, "pip-" + name)
    out["pip"] = b.measure(
        name, "python -m venv + pip install (mirror)",
        "%s -m venv %s && %s/bin/pip install -q --disable-pip-version-check "
        "--index-url %s -r %s" % (PY, pipvenv, pipvenv, mirror_url, reqfile),
        prepare="rm -rf %s" % pipvenv, env=pipenv)
    if uv:
        uvcache = os.path.join(work, "uv-cache")
        uvvenv = os.path.join(shm, "uv-" + name)
        uvcmd = ("%s venv -q --python %s %s && %s pip install -q --python %s/bin/python "
                 "--index-url %s -r %s" % (uv, PY, uvvenv, uv, uvvenv, mirror_url, reqfile))
        uvenv = dict(env, UV_CACHE_DIR=uvcache, UV_NO_CONFIG="1")
        out["uv_cold"] = b.measure(name, "uv venv + uv pip install, cold cache", uvcmd,
                                   prepare="rm -rf %s %s" % (uvvenv, uvcache), env=uvenv)
        out["uv_warm"] = b.measure(name, "uv venv + uv pip install, warm cache", uvcmd,
                                   prepare="rm -rf %s" % uvvenv, env=uvenv)
    dest = os.path.join(shm, "x-" + name)
    prep = "rm -rf %s && mkdir -p %s" % (dest, dest)
    out["gha"] = b.measure(name, "actions/cache restore: tar + unzstd",
                           "tar -xf %s -P -C %s --use-compress-program unzstd" % (archive, dest),
                           prepare=prep)
    out["bsdtar"] = b.measure(name, "bsdtar -xf", "bsdtar -xf %s -C %s" % (archive, dest),
                              prepare=prep)
    out["cp"] = b.measure(name, "cp -a of the venv (tmpfs to tmpfs)",
                          "cp -a %s %s/v" % (venv, dest), prepare=prep)
    out["floor_zstd"] = b.measure(name, "floor: zstd -dc > /dev/null",
                                  "zstd -qdc %s > /dev/null" % archive)
    rawtar = os.path.join(work, name + ".tar")
    sh("zstd -qdc %s > %s" % (archive, rawtar))
    out["floor_tar"] = b.measure(name, "floor: GNU tar -xf of the plain tar",
                                 "tar -xf %s -C %s" % (rawtar, dest), prepare=prep)
    os.unlink(rawtar)
    level = 3
    packed = os.path.join(work, name + ".pack.tzst")
    out["pack"] = b.measure(name, "venvcache save (pack)",
                            "%s save -q -r %s --name %s -p %s" % (vc, reqfile, name, PY),
                            env=env)
    out["pack_size"] = os.path.getsize(archive)
    out["tarzstd"] = b.measure(name, "tar --posix | zstd -T0 -%d" % level,
                               "tar --posix -C %s -cf - . | zstd -q -T0 -%d -o %s -f" % (
                                   venv, level, packed))
    out["tarzstd_size"] = os.path.getsize(packed)
    os.unlink(packed)
    sh("rm -rf %s %s" % (dest, pipvenv))
    if uv:
        sh("rm -rf %s" % os.path.join(shm, "uv-" + name))
    return out


def bench_many(b, work, vc, mirror_url, shm):
    """warm --all -j on six environments of the small fixture."""
    cfg = os.path.join(work, "many.ini")
    pins = ["vc-alpha==1.0", "vc-alpha==1.1", "vc-alpha==2.0", "vc-beta==1.0",
            "vc-gamma[fast]==1.0", "vc-data==1.0"]
    with open(cfg, "w") as f:
        for i, p in enumerate(pins):
            f.write("[env many%d]\npython = %s\ndeps = %s\n\n" % (i, PY, p))
    store = os.path.join(work, "store-many")
    root = os.path.join(shm, "root-many")
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, VENVCACHE_CACHE_DIR=store,
               VENVCACHE_VENV_ROOT=root, VENVCACHE_INDEX_URL=mirror_url,
               VENVCACHE_PARTIAL="no")
    res = {}
    for j in (1, 2):
        res["miss_j%d" % j] = b.measure("many", "warm --all -j %d, 6 misses" % j,
                                        "%s -c %s warm -q --all -j %d" % (vc, cfg, j),
                                        prepare="rm -rf %s %s" % (store, root), env=env,
                                        runs=3)
        res["hit_j%d" % j] = b.measure("many", "warm --all -j %d, 6 hits" % j,
                                       "%s -c %s warm -q --all -j %d" % (vc, cfg, j),
                                       prepare="rm -rf %s" % root, env=env)
    sh("rm -rf %s" % root)
    return res


def bench_resolve(b, work, vc, mirror_url):
    """The cost of keying an unpinned set: a cold resolution, a cached one."""
    req = os.path.join(work, "ranges.txt")
    with open(req, "w") as f:
        f.write("vc-beta>=1.0\nvc-gamma[fast]\nvc-alpha<2\n")
    cache = os.path.join(work, "cache-resolve")
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, VENVCACHE_CACHE_DIR=cache,
               VENVCACHE_INDEX_URL=mirror_url)
    key = "%s key -r %s -p %s" % (vc, req, PY)
    sh(key + " >/dev/null", env=env)  # the scratch venv, made once
    res = {}
    res["cold"] = b.measure("resolve", "key of a range set, resolution cold (--refresh)",
                            key + " --refresh", env=env)
    res["cached"] = b.measure("resolve", "key of a range set, resolution cached", key,
                              env=env, runs=max(b.runs, 20))
    pinned = os.path.join(work, "pinned-1000.txt")
    with open(pinned, "w") as f:
        for i in range(1000):
            f.write("package-%d[extra]==%d.%d.%d ; python_version >= \"3.8\"\n" % (
                i, i % 7, i % 13, i))
    res["key1000"] = b.measure("resolve", "key of a 1,000-line pinned file",
                               "%s key -r %s -p %s" % (vc, pinned, PY), env=env,
                               runs=max(b.runs, 20))
    return res


def uv_env(env, uv, uvcache):
    """env for venvcache with installer = uv (that uv, that cache)."""
    return dict(env, VENVCACHE_INSTALLER="uv", VENVCACHE_UV=uv,
                VENVCACHE_UV_CACHE_DIR=uvcache, UV_CACHE_DIR=uvcache, UV_NO_CONFIG="1",
                UV_PYTHON_DOWNLOADS="never",
                VENVCACHE_BYTECODE_CACHE_DIR=uvcache + ".bytecode")


def bench_vsuv(b, fx, reqfile, mirror_url, work, vc, uv, shm):
    """Issue 13: a miss with installer = uv (resolve + create + pack)
    against uv venv + uv pip install, cold and warm uv cache; resolution
    alone against uv pip compile. All with seed = no (uv venv seeds no
    pip) and resolve = always (the set is resolved although pinned)."""
    log("== against uv: %s" % fx)
    store = os.path.join(work, "store-" + fx)
    root = os.path.join(shm, "root")
    venv = os.path.join(root, fx)
    uvcache = os.path.join(work, "uv-cache-" + fx)
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, VENVCACHE_CACHE_DIR=store,
               VENVCACHE_VENV_ROOT=root, VENVCACHE_INDEX_URL=mirror_url,
               VENVCACHE_RESOLVE="always", VENVCACHE_PARTIAL="no", VENVCACHE_SEED="no")
    for k in list(env):
        if (k.startswith("PIP_") and k != "PIP_CONFIG_FILE") or k.startswith("UV_"):
            del env[k]
    env = uv_env(env, uv, uvcache)
    warm = "%s warm -q -r %s --name %s -p %s" % (vc, reqfile, fx, PY)
    uvvenv = os.path.join(shm, "uv-" + fx)
    uvcmd = ("%s venv -q --python %s %s && %s pip install -q --python %s/bin/python "
             "--index-url %s -r %s" % (uv, PY, uvvenv, uv, uvvenv, mirror_url, reqfile))
    out = {}
    bc = uvcache + ".bytecode"
    out["miss_cold"] = b.measure(fx, "venvcache warm, miss, installer = uv, cold uv cache "
                                 "(bytecode cache empty too)", warm,
                                 prepare="rm -rf %s %s %s %s" % (store, venv, uvcache, bc),
                                 env=env)
    out["uv_cold"] = b.measure(fx, "uv venv + uv pip install, cold uv cache", uvcmd,
                               prepare="rm -rf %s %s" % (uvvenv, uvcache), env=env)
    out["uv_cold_bc"] = b.measure(
        fx, "uv venv + uv pip install --compile-bytecode, cold uv cache",
        uvcmd + " --compile-bytecode", prepare="rm -rf %s %s" % (uvvenv, uvcache), env=env)
    out["miss_warm_nobc"] = b.measure(
        fx, "venvcache warm, miss, installer = uv, warm uv cache, bytecode cache empty", warm,
        prepare="rm -rf %s %s %s" % (store, venv, bc), env=env)
    out["miss_warm"] = b.measure(fx, "venvcache warm, miss, installer = uv, warm uv cache "
                                 "(and bytecode cache)",
                                 warm, prepare="rm -rf %s %s" % (store, venv), env=env)
    out["uv_warm"] = b.measure(fx, "uv venv + uv pip install, warm uv cache", uvcmd,
                               prepare="rm -rf %s" % uvvenv, env=env)
    out["uv_warm_bc"] = b.measure(
        fx, "uv venv + uv pip install --compile-bytecode, warm uv cache",
        uvcmd + " --compile-bytecode", prepare="rm -rf %s" % uvvenv, env=env)
    # Resolution alone: venvcache's resolution cache cleared each run, the
    # uv cache warm for both (as a miss after the first finds it).
    key = "%s key -r %s --name %s -p %s" % (vc, reqfile, fx, PY)
    out["key"] = b.measure(fx, "venvcache key, resolve = always, resolution cache cleared",
                           key, prepare="rm -rf %s/resolve" % store, env=env)
    out["compile"] = b.measure(fx, "uv pip compile of the same file",
                               "%s pip compile -q --python %s --index-url %s %s" % (
                                   uv, PY, mirror_url, reqfile), env=env)
    sh("rm -rf %s %s" % (uvvenv, venv))
    return out


def bench_vsuv_many(b, work, vc, uv, mirror_url, shm):
    """Issue 13: warm --all -j 2 of six misses (installer = uv) against uv
    making the same six venvs one after the other, warm uv cache for both."""
    log("== against uv: six misses")
    fx = "uv-many"
    pins = ["vc-alpha==1.0", "vc-alpha==1.1", "vc-alpha==2.0", "vc-beta==1.0",
            "vc-gamma[fast]==1.0", "vc-data==1.0"]
    cfg = os.path.join(work, "uv-many.ini")
    with open(cfg, "w") as f:
        for i, p in enumerate(pins):
            f.write("[env uvmany%d]\npython = %s\ndeps = %s\n\n" % (i, PY, p))
    store = os.path.join(work, "store-uv-many")
    root = os.path.join(shm, "root-uv-many")
    uvcache = os.path.join(work, "uv-cache-uv-many")
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, VENVCACHE_CACHE_DIR=store,
               VENVCACHE_VENV_ROOT=root, VENVCACHE_INDEX_URL=mirror_url,
               VENVCACHE_PARTIAL="no", VENVCACHE_SEED="no")
    for k in list(env):
        if (k.startswith("PIP_") and k != "PIP_CONFIG_FILE") or k.startswith("UV_"):
            del env[k]
    env = uv_env(env, uv, uvcache)
    uvroot = os.path.join(shm, "uv-many")
    seq = " && ".join(
        "%s venv -q --python %s %s/%d && %s pip install -q --python %s/%d/bin/python "
        "--index-url %s '%s'" % (uv, PY, uvroot, i, uv, uvroot, i, mirror_url, p)
        for i, p in enumerate(pins))
    sh("%s -c %s warm -q --all -j 2" % (vc, cfg), env=env)  # the uv cache, warm
    out = {}
    out["vc"] = b.measure(fx, "venvcache warm --all -j 2, 6 misses, installer = uv",
                          "%s -c %s warm -q --all -j 2" % (vc, cfg),
                          prepare="rm -rf %s %s" % (store, root), env=env)
    out["uv"] = b.measure(fx, "uv venv + uv pip install, the same 6, one after the other",
                          seq, prepare="rm -rf %s" % uvroot, env=env)
    sh("rm -rf %s %s" % (root, uvroot))
    return out


def bench_tox(b, work, vc, mirror_url, reqs, shm):
    """Issue 14: `tox -e bench --notest` with a fresh .tox: tox-uv with a
    warm uv cache against tox with the venvcache plugin and a warm store
    (tox-uv loaded too, as a user of both has it); `tox --version` apart."""
    log("== tox: tox-uv against the venvcache plugin")
    fx = "tox"
    tox4 = os.path.join(ROOT, "build/tox4")
    tox = os.path.join(tox4, "bin/tox")
    if not os.access(tox, os.X_OK):
        raise RuntimeError("no %s (scripts/bootstrap.sh makes it)" % tox)
    site = os.path.join(work, "tox-plugin-site")
    shutil.rmtree(site, ignore_errors=True)
    src = os.path.join(work, "tox-venvcache-src")
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "tox-venvcache"), src)
    sh("%s/bin/python -m pip install -q --no-deps --no-build-isolation --no-index "
       "--target %s %s" % (tox4, site, src), env=dict(os.environ, PIP_CONFIG_FILE=os.devnull))
    bindir = os.path.join(work, "tox-bin")
    shutil.rmtree(bindir, ignore_errors=True)
    os.makedirs(bindir)
    os.symlink(vc, os.path.join(bindir, "venvcache"))
    proj = os.path.join(work, "tox-proj")
    shutil.rmtree(proj, ignore_errors=True)
    os.makedirs(proj)
    with open(os.path.join(proj, "tox.ini"), "w") as f:
        f.write("[tox]\nenv_list = bench\n\n[testenv:bench]\npackage = skip\n"
                "base_python = %s\ndeps =\n%s\ncommands = python -c 'import vc_alpha'\n" % (
                    PY, "".join("    %s\n" % r for r in reqs)))
    uvcache = os.path.join(work, "uv-cache-tox")
    store = os.path.join(work, "store-tox")
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull)
    for k in list(env):
        if (k.startswith("PIP_") and k != "PIP_CONFIG_FILE") or k.startswith("UV_") or \
                k.startswith("VENVCACHE_") or k.startswith("TOX_") or k == "PYTHONPATH":
            del env[k]
    env.update(PIP_INDEX_URL=mirror_url, UV_INDEX_URL=mirror_url, UV_CACHE_DIR=uvcache,
               UV_PYTHON_DOWNLOADS="never", UV_NO_CONFIG="1")
    vcenv = dict(env, PYTHONPATH=site, PATH=bindir + ":" + env["PATH"],
                 VENVCACHE_INDEX_URL=mirror_url, VENVCACHE_CACHE_DIR=store,
                 VENVCACHE_UV_CACHE_DIR=uvcache)
    fresh = "rm -rf %s/.tox" % proj
    cmd = "%s -e bench --notest" % tox
    # Warm the uv cache and the store, and check that the plugin made the venv.
    sh(fresh + " && cd %s && %s >/dev/null" % (proj, cmd), env=env)
    sh("rm -rf %s && %s && cd %s && %s >/dev/null" % (store, fresh, proj, cmd), env=vcenv)
    if not os.path.exists(os.path.join(proj, ".tox/bench/.venvcache-stamp")):
        raise RuntimeError("tox with the plugin: .tox/bench is not venvcache's")
    out = {}
    out["uv"] = b.measure(fx, "tox -e bench --notest, tox-uv, warm uv cache, fresh .tox", cmd,
                          prepare=fresh, env=env, cwd=proj)
    out["vc"] = b.measure(fx, "tox -e bench --notest, venvcache plugin, warm store, fresh .tox",
                          cmd, prepare=fresh, env=vcenv, cwd=proj)
    if not os.path.exists(os.path.join(proj, ".tox/bench/.venvcache-stamp")):
        raise RuntimeError("tox with the plugin: .tox/bench is not venvcache's")
    out["version"] = b.measure(fx, "tox --version (tox's own start)", "%s --version" % tox,
                               env=env, cwd=proj)
    out["version_vc"] = b.measure(fx, "tox --version, the plugin loaded", "%s --version" % tox,
                                  env=vcenv, cwd=proj)
    sh(fresh)
    return out


def ratio(a, b):
    return a / b if b else float("nan")


def fmt_s(st):
    return "%.3f s (%.3f–%.3f)" % (st["median"], st["min"], st["max"])


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return "%s, %d CPUs, %.0f GiB RAM, Linux %s, Python %s" % (
        cpu, os.cpu_count(), mem, platform.release(), platform.python_version())


def report_projects(L, b, projects, uv):
    L.append("## Real projects, the project's install included\n")
    L.append("Each project's source is its sdist from PyPI; every command runs in that "
             "directory, and its requirements file names the project (`-e .`), so each row "
             "installs the project too: venvcache after its restore, from its project cache "
             "(`project-cache = yes`: the files the project's last install added, kept in "
             "cache-dir; the miss fills it with `pip install -e --no-deps --no-build-isolation "
             "--no-index --use-pep517`), pip and uv with everything else. "
             "Every wheel comes from a wheelhouse downloaded once from PyPI "
             "(build/bench/work/wheelhouse), served on 127.0.0.1. venvcache resolves the "
             "unpinned lines (`resolve = auto`; the resolution is cached, so only the miss "
             "pays it). uv is %s, run as a user would (no `--compile-bytecode`: pip and "
             "venvcache's venvs hold bytecode, uv's do not). The hit with the mirror stopped "
             "is timed after the mirror process was ended; the bench fails if it does not "
             "succeed with the project importable from its source.\n" % (
                 "uv " + UV_VERSION if uv else "not measured"))
    L.append("| project | hit | uv warm cache | hit / uv warm (target ≤ 0.5×) | "
             "hit, installer uv | hit, installer uv / uv warm | "
             "uv cold cache | venv + pip | miss | no-op (target ≤ 5 ms) | "
             "hit, mirror stopped |")
    L.append("| :-- | --: | --: | --: | --: | --: | --: | --: | --: | --: | :-- |")
    for name, r in projects.items():
        hit = r["hit"]["median"]
        off = ("%.3f s, ok" % r["offline"]["median"]) if r.get("offline_ok") else "**FAILED**"
        L.append("| %s | %.3f s | %s | %s | %s | %s | %s | %.3f s | %.3f s | %.1f ms | %s |" % (
            name, hit,
            "%.3f s" % r["uv_warm"]["median"] if "uv_warm" in r else "–",
            "%.2f×" % ratio(hit, r["uv_warm"]["median"]) if "uv_warm" in r else "–",
            "%.3f s" % r["hit_uv"]["median"] if "hit_uv" in r else "–",
            "%.2f×" % ratio(r["hit_uv"]["median"], r["uv_warm"]["median"])
            if "hit_uv" in r and "uv_warm" in r else "–",
            "%.3f s" % r["uv_cold"]["median"] if "uv_cold" in r else "–",
            r["pip"]["median"], r["miss"]["median"], r["present"]["median"] * 1000, off))
    L.append("")
    for pr in PROJECTS:
        name = pr["name"]
        if name not in projects:
            continue
        r = projects[name]
        hit = r["hit"]["median"]
        L.append("### Project: %s\n" % name)
        L.append("`%s`: %s. The env: %d distributions: %s.\n" % (
            pr["sdist"], pr["about"], len(r["dists"]), ", ".join(r["dists"])))
        L.append("| command | time | peak RSS |")
        L.append("| :-- | --: | --: |")
        for label, st in b.rows[name]:
            L.append("| %s | %s | %d MiB |" % (label, fmt_s(st), st["rss_kib"] // 1024))
        L.append("")
        L.append("| ratio | value | target |")
        L.append("| :-- | --: | :-- |")
        if "uv_warm" in r:
            L.append("| hit / uv warm cache | %.2f× | ≤ 0.5× |" % ratio(hit, r["uv_warm"]["median"]))
            L.append("| hit / uv cold cache | %.2f× | |" % ratio(hit, r["uv_cold"]["median"]))
        L.append("| venv + pip / hit (speed-up) | %.1f× | |" % ratio(r["pip"]["median"], hit))
        L.append("| miss / venv + pip | %.2f× | |" % ratio(r["miss"]["median"], r["pip"]["median"]))
        L.append("| the project's install alone, pip / hit | %.2f | |" % ratio(r["project"]["median"], hit))
        if "hit_uv" in r:
            L.append("| hit, installer uv / uv warm cache | %.2f× | ≤ 0.5× |" % ratio(
                r["hit_uv"]["median"], r["uv_warm"]["median"]))
            if "hit_noseed" in r:
                L.append("| hit, seed = no + installer uv / uv warm cache (the same venv "
                         "contents: no pip) | %.2f× | ≤ 0.5× |" % ratio(
                             r["hit_noseed"]["median"], r["uv_warm"]["median"]))
            L.append("| the project's install alone, uv / hit, installer uv | %.2f | |" % ratio(
                r["project_uv"]["median"], r["hit_uv"]["median"]))
        if "miss_uv_cold" in r:
            c = ratio(r["miss_uv_cold"]["median"], r["uv_cold"]["median"])
            w = ratio(r["miss_uv_warm"]["median"], r["uv_warm"]["median"])
            L.append("| miss, seed = no + installer uv / uv, cold caches (issue 13) | %.2f× | "
                     "≤ 1.3× %s |" % (c, met(c, 1.3)))
            L.append("| miss, seed = no + installer uv / uv, warm caches (issue 13) | %.2f× | "
                     "≤ 1.1× %s |" % (w, met(w, 1.1)))
        L.append("| present (no-op warm) | %.1f ms | ≤ 5 ms |" % (r["present"]["median"] * 1000))
        L.append("| hit with the mirror stopped | %s | succeeds |" % (
            "succeeded" if r.get("offline_ok") else "**FAILED**"))
        L.append("")


def met(value, target):
    return "met" if value <= target else "**not met**"


def report_vsuv(L, b, extra):
    """Issue 13's rows and ratios, with its targets: one section for each
    fixture measured (so that a run of one keeps the other's)."""
    for name, r in extra.get("vsuv", {}).items():
        fx = "uv-" + name
        L.append("## Against uv (issue 13): %s fixture\n" % name)
        L.append("venvcache with `installer = uv` (the same uv %s, its cache `uv-cache-dir` = "
                 "uv's `UV_CACHE_DIR`), `seed = no` (uv venv seeds no pip) and `resolve = "
                 "always` (a miss resolves the pinned set too), against `uv venv` + `uv pip "
                 "install` from the same loopback mirror. A miss is resolve + create + install "
                 "+ pack. venvcache's venvs hold bytecode, as pip's do: venvcache compiles it "
                 "itself, reusing what it compiled before from its bytecode cache "
                 "(`bytecode-cache-dir`, beside uv's cache: the cold rows clear both, the warm "
                 "row keeps both, one warm row clears the bytecode cache alone). Plain uv "
                 "compiles nothing, so the uv row with `--compile-bytecode` is the like-for-like "
                 "install. The fixture: %s. The real projects' misses against uv "
                 "(the project included) are in the projects' sections.\n" % (
                     UV_VERSION, "4 pinned lines of the small test wheels" if name == "small"
                     else "this machine's site-packages rebuilt as wheels, 92 pinned lines"))
        L.append("| command | time | peak RSS |")
        L.append("| :-- | --: | --: |")
        for label, st in b.rows[fx]:
            L.append("| %s | %s | %d MiB |" % (label, fmt_s(st), st["rss_kib"] // 1024))
        L.append("")
        L.append("| ratio | value | target | |")
        L.append("| :-- | --: | :-- | :-- |")
        c = ratio(r["miss_cold"]["median"], r["uv_cold"]["median"])
        w = ratio(r["miss_warm"]["median"], r["uv_warm"]["median"])
        wb = ratio(r["miss_warm"]["median"], r["uv_warm_bc"]["median"])
        k = ratio(r["key"]["median"], r["compile"]["median"])
        L.append("| miss / uv, cold uv cache | %.2f× | ≤ 1.3× | %s |" % (c, met(c, 1.3)))
        cb = ratio(r["miss_cold"]["median"], r["uv_cold_bc"]["median"])
        L.append("| miss / uv --compile-bytecode, cold uv cache | %.2f× | (≤ 1.3×) | %s |" % (
            cb, met(cb, 1.3)))
        L.append("| miss / uv, warm uv cache | %.2f× | ≤ 1.1× | %s |" % (w, met(w, 1.1)))
        L.append("| miss / uv --compile-bytecode, warm uv cache | %.2f× | (≤ 1.1×) | %s |" % (
            wb, met(wb, 1.1)))
        if "miss_warm_nobc" in r:
            nb = ratio(r["miss_warm_nobc"]["median"], r["uv_warm_bc"]["median"])
            L.append("| miss with the bytecode cache empty / uv --compile-bytecode, warm uv "
                     "cache | %.2f× | (≤ 1.1×) | %s |" % (nb, met(nb, 1.1)))
            L.append("| miss with the bytecode cache empty / miss with it | %.2f× | reported | |"
                     % ratio(r["miss_warm_nobc"]["median"], r["miss_warm"]["median"]))
        L.append("| resolution: key / uv pip compile | %.2f× | ≤ 1.2× | %s |" % (k, met(k, 1.2)))
        L.append("")
        if name == "small" and "vsuv_many" in extra:
            report_vsuv_many(L, b, extra["vsuv_many"])


def report_vsuv_many(L, b, r):
    """warm --all -j 2 of six misses against uv making the six in turn."""
    L.append("### Six misses (small fixture's wheels, one pin each), warm uv cache\n")
    L.append("| command | time | peak RSS |")
    L.append("| :-- | --: | --: |")
    for label, st in b.rows["uv-many"]:
        L.append("| %s | %s | %d MiB |" % (label, fmt_s(st), st["rss_kib"] // 1024))
    L.append("")
    L.append("| ratio | value | target |")
    L.append("| :-- | --: | :-- |")
    L.append("| warm --all -j 2 / uv one after the other | %.2f× | reported (no target) |" %
             ratio(r["vc"]["median"], r["uv"]["median"]))
    L.append("")


def report_tox(L, b, r):
    """Issue 14's rows and ratio, with its target."""
    L.append("## tox: tox-uv against the venvcache plugin (issue 14)\n")
    L.append("`tox -e bench --notest` (tox 4 and tox-uv of build/tox4, `package = skip`, "
             "deps: the small fixture's 4 pins) with `.tox` removed before each run: tox-uv "
             "with a warm uv cache, against tox with tox-venvcache (installed with pip "
             "`--target`, loaded by `PYTHONPATH`, as tests/cli/t-tox-plugin.sh does; tox-uv "
             "loaded too) and a warm store, so the plugin restores the venv. The bench checks "
             "that `.tox/bench` is venvcache's. `tox --version` is tox's own start (Python, "
             "tox and its plugins imported), reported apart.\n")
    L.append("| command | time | peak RSS |")
    L.append("| :-- | --: | --: |")
    for label, st in b.rows["tox"]:
        L.append("| %s | %s | %d MiB |" % (label, fmt_s(st), st["rss_kib"] // 1024))
    L.append("")
    v, u, o = r["vc"]["median"], r["uv"]["median"], r["version"]["median"]
    L.append("| ratio | value | target | |")
    L.append("| :-- | --: | :-- | :-- |")
    L.append("| plugin / tox-uv | %.2f× | ≤ 0.5× | %s |" % (ratio(v, u), met(ratio(v, u), 0.5)))
    L.append("| plugin / tox-uv, tox's own start (tox --version) taken off both | %s | "
             "(for reference) | |" % ("%.2f×" % ratio(v - o, u - o) if v > o and u > o else
                                      "n/a: a run took no longer than tox --version (noise)"))
    L.append("| tox's own start | %.3f s | reported apart | |" % o)
    L.append("")


def report(args, b, results, extra, skipped, projects, failed, load):
    L = []
    L.append("# Benchmarks\n")
    L.append("Produced by `%s` on %s.\n" % (args.command.strip(), time.strftime("%Y-%m-%d %H:%M UTC",
                                                                         time.gmtime())))
    L.append("Machine: %s. Timings on a shared machine are noisy: only ratios measured side "
             "by side in this one run are compared. Each figure is the median of its runs "
             "(min–max in parentheses); caches (page cache, pip's HTTP cache) are hot unless "
             "a row says cold. Load average (1, 5, 15 min) at the start %.1f, %.1f, %.1f, "
             "at the end %.1f, %.1f, %.1f.\n" % ((machine(),) + tuple(load[0]) + tuple(load[1])))
    if failed:
        L.append("**FAILED**: %s.\n" % "; ".join(failed))
    for name, r in results.items():
        t = r["tree"]
        L.append("## Fixture: %s\n" % name)
        L.append("%d files, %.1f MiB installed; archive %.1f MiB.\n" % (
            t["files"], t["unpacked"] / 2**20, t["archive"] / 2**20))
        L.append("| command | time | peak RSS |")
        L.append("| :-- | --: | --: |")
        for label, st in b.rows[name]:
            L.append("| %s | %s | %d MiB |" % (label, fmt_s(st), st["rss_kib"] // 1024))
        hit = r["hit"]["median"]
        floor = max(r["floor_zstd"]["median"], r["floor_tar"]["median"])
        L.append("")
        L.append("| ratio | value | target |")
        L.append("| :-- | --: | :-- |")
        L.append("| hit / actions/cache restore | %.2f× | ≤ 0.5× |" % ratio(hit, r["gha"]["median"]))
        L.append("| hit / larger floor | %.2f× | ≤ 1.3× |" % ratio(hit, floor))
        L.append("| venv + pip / hit (speed-up) | %.1f× | ≥ 40× |" % ratio(r["pip"]["median"], hit))
        if "uv_warm" in r:
            L.append("| uv warm cache / hit (speed-up) | %.1f× | > 1× |" % ratio(
                r["uv_warm"]["median"], hit))
            L.append("| uv cold cache / hit (speed-up) | %.1f× | |" % ratio(
                r["uv_cold"]["median"], hit))
        L.append("| bsdtar / hit | %.1f× | |" % ratio(r["bsdtar"]["median"], hit))
        L.append("| cp -a / hit | %.1f× | |" % ratio(r["cp"]["median"], hit))
        L.append("| pack / tar \\| zstd -T0 | %.2f× | ≤ 1× |" % ratio(
            r["pack"]["median"], r["tarzstd"]["median"]))
        L.append("| archive size / tar \\| zstd | %.3f | |" % ratio(r["pack_size"], r["tarzstd_size"]))
        L.append("| present (no-op warm) | %.1f ms | ≤ 5 ms |" % (r["present"]["median"] * 1000))
        L.append("| restore peak RSS | %d MiB | bounded |" % (r["hit"]["rss_kib"] // 1024))
        L.append("")
    if projects:
        report_projects(L, b, projects, args.uv)
    if "resolve" in extra:
        L.append("## Keys and resolution\n")
        L.append("| command | time |")
        L.append("| :-- | --: |")
        for label, st in b.rows["resolve"]:
            L.append("| %s | %s |" % (label, fmt_s(st)))
        L.append("")
    if "many" in extra:
        L.append("## Many environments: warm --all -j, six environments\n")
        L.append("| command | time |")
        L.append("| :-- | --: |")
        for label, st in b.rows["many"]:
            L.append("| %s | %s |" % (label, fmt_s(st)))
        L.append("")
    for name, r in extra.get("remote", {}).items():
        rh, lh, tr = r["remote_hit"]["median"], r["local_hit"]["median"], r["transfer"]["median"]
        L.append("## Remote store: fixture %s, nginx (WebDAV PUT) on 127.0.0.1\n" % name)
        L.append("| command | time |")
        L.append("| :-- | --: |")
        for label, st in b.rows["remote-" + name]:
            L.append("| %s | %s |" % (label, fmt_s(st)))
        L.append("")
        L.append("| ratio | value | target |")
        L.append("| :-- | --: | :-- |")
        L.append("| loopback transfer of the archive (%.1f MiB) | %.0f MB/s | |" % (
            r["archive"] / 2**20, r["archive"] / tr / 1e6 if tr > 0 else 0))
        L.append("| remote hit: archive bytes / whole warm time | %.0f MB/s | |" % (
            r["archive"] / rh / 1e6 if rh > 0 else 0))
        L.append("| remote hit / local hit | %.2f× | |" % ratio(rh, lh))
        L.append("| remote hit − local hit (overhead) | %.3f s | |" % (rh - lh))
        L.append("| remote hit / (1.5 × local hit + transfer) | %.2f× | ≤ 1× |" % ratio(
            rh, 1.5 * lh + tr))
        # The cold creates of the same fixture (bench_fixture's rows).
        cold = results.get(name, {})
        if "miss" in cold:
            L.append("| remote hit / cold create (venvcache miss) | %.3f× | |" % ratio(
                rh, cold["miss"]["median"]))
        if "pip" in cold:
            L.append("| remote hit / python -m venv + pip install | %.3f× | |" % ratio(
                rh, cold["pip"]["median"]))
        L.append("")
    if "vsuv" in extra or "vsuv_many" in extra:
        report_vsuv(L, b, extra)
    if "tox" in extra:
        report_tox(L, b, extra["tox"])
    if skipped:
        L.append("## Skipped\n")
        for s in skipped:
            L.append("- %s" % s)
        L.append("")
    L.append("## Commands\n")
    L.append("Every command, as timed (`$VC` is the Release build of venvcache). A command "
             "without shell syntax that takes under a second is timed as a direct child of "
             "the benchmark, after one untimed run under GNU time for its peak RSS; the rest "
             "run as `sh -c` under GNU time (about 2 ms more, which only the millisecond "
             "rows would notice); `cd DIR &&` names the directory a command runs in:\n")
    L.append("```")
    seen = set()
    for rows in b.rows.values():
        for label, st in rows:
            c = st["cmd"].replace(args.vc, "$VC").replace(ROOT + "/", "")
            if c not in seen:
                seen.add(c)
                L.append(c)
    L.append("```")
    return "\n".join(L) + "\n"


def split_sections(text):
    """(the part before the first "## " line, [(title line, whole section)])."""
    head, secs, cur = [], [], None
    for line in text.splitlines(keepends=True):
        if line.startswith("## "):
            cur = [line.rstrip("\n"), line]
            secs.append(cur)
        elif cur is None:
            head.append(line)
        else:
            cur[1] += line
    return "".join(head), [tuple(s) for s in secs]


def merge_partial(old, new, args, wanted, when, load, failed):
    """A run of some fixtures only: old's bench.py part with the sections
    this run measured replaced (same title) or added (before old's Skipped
    and Commands), each headed by the command, date and load that made it;
    every other section of old is kept as it was. This run's commands and
    skips go to sections named after its fixtures."""
    _, new_secs = split_sections(new)
    old_head, old_secs = split_sections(old)
    tag = ", ".join(wanted)
    note = ("Measured by `%s` on %s, apart from the sections without this line; load "
            "average (1, 5, 15 min) at the start %.1f, %.1f, %.1f, at the end %.1f, %.1f, "
            "%.1f.%s\n\n" % ((args.command.strip(), when) + tuple(load[0]) + tuple(load[1]) + (
                (" **FAILED**: %s." % "; ".join(failed)) if failed else "",)))
    out = []
    for title, body in new_secs:
        for word in ("Commands", "Skipped"):
            if title == "## " + word:
                title = "## %s: fixtures %s" % (word, tag)
                body = title + "\n" + body.split("\n", 1)[1]
        first, rest = body.split("\n", 1)
        out.append((title, first + "\n\n" + note + rest.lstrip("\n")))
    merged = list(old_secs)
    titles = [t for t, _ in merged]
    for title, body in out:
        if title in titles:
            merged[titles.index(title)] = (title, body)
            continue
        at = next((i for i, t in enumerate(titles)
                   if t.startswith("## Skipped") or t.startswith("## Commands")), len(merged))
        merged.insert(at, (title, body))
        titles.insert(at, title)
    text = old_head
    for _, body in merged:
        text += body.rstrip("\n") + "\n\n"
    return text.rstrip("\n") + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vc", required=True, help="the venvcache binary")
    ap.add_argument("--work", required=True, help="fixtures and stores (kept between runs)")
    ap.add_argument("--shm", default="/dev/shm/venvcache-bench", help="the RAM disk")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--fixtures", default=",".join(FIXTURES),
                    help="a comma-separated subset of: %s" % ", ".join(FIXTURES))
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    ap.add_argument("--command", default="scripts/bench.sh")
    args = ap.parse_args()
    args.vc = os.path.abspath(args.vc)
    # Absolute: the projects' commands run in their source directories.
    args.work = os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.shm, exist_ok=True)
    wanted = args.fixtures.split(",")
    for w in wanted:
        if w not in FIXTURES:
            ap.error("--fixtures: unknown fixture '%s' (known: %s)" % (w, ", ".join(FIXTURES)))
    b = Bench(args.runs)
    results, extra, skipped, mirrors, projects, failed = {}, {}, [], [], {}, []
    online = pypi_reachable()
    load0 = os.getloadavg()

    uv = pinned_uv(online)
    args.uv = uv
    if not uv:
        skipped.append("uv: uv %s is not in build/tools and PyPI is unreachable" % UV_VERSION)

    def stop_all(*_):
        for m in mirrors:
            m.terminate()
    signal.signal(signal.SIGTERM, lambda *a: sys.exit("SIGTERM"))
    try:
        if "projects" in wanted:
            wh = os.path.join(args.work, "wheelhouse")
            if not online and not os.path.exists(os.path.join(wh, "stamp.json")):
                skipped.append("real projects: PyPI unreachable and no wheelhouse in %s" % wh)
            else:
                srcs = build_wheelhouse(wh, args.work)
                p, url = start_mirror(wh, args.work)
                mirrors.append(p)
                for pr in PROJECTS:
                    projects[pr["name"]] = bench_project(b, pr, srcs[pr["name"]], url,
                                                         args.work, args.vc, uv, args.shm)
                # The mirror stopped: every hit must still succeed.
                p.terminate()
                p.wait()
                for pr in PROJECTS:
                    why = bench_offline(b, pr, srcs[pr["name"]], projects[pr["name"]],
                                        args.shm)
                    if why:
                        failed.append(why)
                        log("!! " + why)
        if "heavy" in wanted:
            heavy = os.path.join(args.work, "heavy")
            sh("%s %s/scripts/make-heavy-mirror.py %s >/dev/null" % (PY, ROOT, heavy))
            p, url = start_mirror(heavy, args.work)
            mirrors.append(p)
            results["heavy"] = bench_fixture(b, "heavy", os.path.join(heavy, "requirements.txt"),
                                             url, args.work, args.vc, uv, args.shm)
            ng, ng_url, ng_root = start_nginx(args.work)
            mirrors.append(ng)
            extra.setdefault("remote", {})["heavy"] = bench_remote(
                b, "heavy", os.path.join(heavy, "requirements.txt"), url, args.work, args.vc,
                args.shm, ng_url, ng_root)
        if "pypi" in wanted:
            if not online:
                skipped.append("PyPI stacks (%s): PyPI unreachable" % ", ".join(PYPI_STACKS))
            for name, reqs in PYPI_STACKS.items():
                if not online:
                    break
                d = os.path.join(args.work, "pypi-" + name)
                if not build_pypi_fixture(name, reqs, d):
                    skipped.append("PyPI stack %s: download failed" % name)
                    continue
                p, url = start_mirror(d, args.work)
                mirrors.append(p)
                results[name] = bench_fixture(b, name, os.path.join(d, "requirements.txt"),
                                              url, args.work, args.vc, uv, args.shm)
        if "uv-heavy" in wanted:
            if not uv:
                skipped.append("against uv, heavy fixture: no uv")
            else:
                heavy = os.path.join(args.work, "heavy")
                sh("%s %s/scripts/make-heavy-mirror.py %s >/dev/null" % (PY, ROOT, heavy))
                p, url = start_mirror(heavy, args.work)
                mirrors.append(p)
                extra.setdefault("vsuv", {})["heavy"] = bench_vsuv(
                    b, "uv-heavy", os.path.join(heavy, "requirements.txt"), url, args.work,
                    args.vc, uv, args.shm)
        if {"small", "resolve", "many", "uv", "tox"} & set(wanted):
            small = os.path.join(args.work, "small")
            if not os.path.exists(os.path.join(small, "simple")):
                sh("%s %s/scripts/make-wheels.py %s >/dev/null" % (PY, ROOT, small))
            p, small_url = start_mirror(small, args.work)
            mirrors.append(p)
        small_reqs = ["vc-beta==1.0", "vc-alpha==1.1", "vc-gamma[fast]==1.0", "vc-data==1.0"]
        req = os.path.join(args.work, "small.txt")
        with open(req, "w") as f:
            f.write("\n".join(small_reqs) + "\n")
        if "small" in wanted:
            results["small"] = bench_fixture(b, "small", req, small_url, args.work, args.vc,
                                             uv, args.shm)
        if "resolve" in wanted:
            extra["resolve"] = bench_resolve(b, args.work, args.vc, small_url)
        if "many" in wanted:
            extra["many"] = bench_many(b, args.work, args.vc, small_url, args.shm)
        if "uv" in wanted:
            if not uv:
                skipped.append("against uv: no uv")
            else:
                extra.setdefault("vsuv", {})["small"] = bench_vsuv(
                    b, "uv-small", req, small_url, args.work, args.vc, uv, args.shm)
                extra["vsuv_many"] = bench_vsuv_many(b, args.work, args.vc, uv, small_url,
                                                     args.shm)
        if "tox" in wanted:
            extra["tox"] = bench_tox(b, args.work, args.vc, small_url, small_reqs, args.shm)
    except (RuntimeError, KeyboardInterrupt, SystemExit) as e:
        # Cut short (a command failed, SIGTERM, ^C): what was measured in
        # whole fixtures is still written, under a FAILED line.
        why = str(e).strip().splitlines()[:3] if str(e).strip() else [type(e).__name__]
        failed.append("the run stopped early: %s" % " ".join(why))
        log("!! " + failed[-1])
    finally:
        stop_all()
        shutil.rmtree(args.shm, ignore_errors=True)
    load1 = os.getloadavg()
    text = report(args, b, results, extra, skipped, projects, failed, (load0, load1))
    # Sections measured by other scripts (after KEEP_MARK) are kept, and
    # so, when this run measured some fixtures only, are the sections of
    # the others (merge_partial).
    try:
        with open(args.out) as f:
            old = f.read()
    except FileNotFoundError:
        old = ""
    ours, kept = (old[:old.index(KEEP_MARK)], old[old.index(KEEP_MARK):]) \
        if KEEP_MARK in old else (old, "")
    if set(wanted) != set(FIXTURES) and ours.strip():
        text = merge_partial(ours, text, args, wanted,
                             time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                             (load0, load1), failed)
    if kept:
        text = text.rstrip("\n") + "\n\n" + kept
    with open(args.out, "w") as f:
        f.write(text)
    print(text)
    if failed:
        print("bench: FAILED: %s" % "; ".join(failed), file=sys.stderr)
        sys.exit(1)


# BENCHMARKS.md from this line on is not bench.py's: it is kept as it is.
KEEP_MARK = "<!-- measured apart from bench.py; kept when it rewrites this file -->"


if __name__ == "__main__":
    main()
