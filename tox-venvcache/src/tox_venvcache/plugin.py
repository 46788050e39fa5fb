"""Each run environment's venv is made ready by ``venvcache warm``.

For a run environment of tox's own ``virtualenv`` runner or tox-uv's
``uv-venv-runner``, before tox sets it up, the plugin writes what tox
would install into it (deps, dependency groups, constraints, pip_pre),
all read from tox's own configuration objects, into a requirements file
and runs ``venvcache warm`` with the environment's interpreter, so that
the venv at the environment's directory is present, restored from the
store, or created and stored. tox then finds an environment it need not
create; its installer records the deps, groups and package dependencies
in .tox-info.json as always but does not run for them; it installs the
package and runs commands as usual. When venvcache is missing or fails, tox does what it
always does, after one warning.

The plugin passes data only: it runs the venvcache program (found on
PATH, or named by TOX_VENVCACHE), never anything from the store.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tox.plugin import impl

if TYPE_CHECKING:
    from tox.tox_env.register import ToxEnvRegister

LOGGER = logging.getLogger(__name__)
STAMP = ".venvcache-stamp"
RUNNERS = ("virtualenv", "uv-venv-runner")
_warned: set[str] = set()


def _warn_once(what: str, msg: str) -> None:
    if what not in _warned:
        _warned.add(what)
        LOGGER.warning("venvcache: %s; tox makes the environment itself", msg)


def _program() -> str | None:
    name = os.environ.get("TOX_VENVCACHE", "venvcache")
    return shutil.which(name) if os.sep not in name else (name if os.access(name, os.X_OK) else None)


def _requirements(env: Any) -> tuple[list[str], list[str]]:
    """What tox would install into the environment: (lines, constraints), as its pip installer reads them."""
    lines: list[str] = []
    constraints: list[str] = []
    deps = env.conf["deps"]
    if deps.as_root_args:
        opts, reqs = deps.unroll()
        lines.extend(opts)
        for req in reqs:
            if req.startswith("-c "):
                constraints.append(req[3:])
            else:
                lines.append(req)
    cons = env.conf["constraints"]
    if cons.as_root_args:
        constraints.extend(r.removeprefix("-c ") for r in cons.unroll()[1])
    groups = env.conf["dependency_groups"]
    if groups:
        from tox.tox_env.python.dependency_groups import resolve  # noqa: PLC0415

        try:
            root = env.core["package_root"]
        except KeyError:
            root = env.core["tox_root"]
        lines.extend(sorted(str(r) for r in resolve(root, groups)))
    pkg = _package_deps(env)
    env._vc_pkg_deps = pkg is not None  # noqa: SLF001
    lines.extend(pkg or [])
    if env.conf["pip_pre"]:
        lines.append("--pre")
    return lines, constraints


PACKAGE_TYPES = ("wheel", "sdist", "editable", "editable-legacy", "deps-only")


def _package_deps(env: Any) -> list[str] | None:
    """The package's dependencies with its extras, as tox's package environment gives them; None: tox's to install."""
    if getattr(env, "package_env", None) is None or env.pkg_type not in PACKAGE_TYPES:
        return None
    opts = env.options
    if getattr(opts, "force_dep", None) or getattr(opts, "skip_pkg_install", False) or opts.package_only:
        return None
    package_env = env.package_env
    with package_env.display_context(env._has_display_suspended):  # noqa: SLF001
        return [str(r) for r in package_env.load_deps_for_env(env.conf)]


def _python(env: Any) -> str:
    """The interpreter tox found (virtualenv's runner), else the one tox-uv's spec names."""
    info = env.base_python
    exe = info.extra.get("executable")
    if exe:
        return str(exe)
    vi = info.version_info
    if vi.major:
        return f"python{vi.major}.{vi.minor}" if vi.minor else f"python{vi.major}"
    return str(env.conf["base_python"][0])


def _not_ours(env: Any) -> str | None:
    """A setting that makes tox's venv another than venvcache's: tox's to make."""
    if env.conf["system_site_packages"]:
        return "system_site_packages"
    try:
        if env.conf["uv_resolution"]:
            return f"uv_resolution = {env.conf['uv_resolution']}"
    except KeyError:  # not tox-uv's runner
        pass
    inst = env.installer
    try:
        default = inst.post_process_install_command(inst.default_install_command(None, env.name)).args
    except Exception:  # noqa: BLE001 - an installer of another shape: its command is its own
        return None
    if env.conf["install_command"].args != default:
        return "install_command is set"
    return None


def _uv_settings(env: Any) -> dict[str, str]:
    """tox-uv's venv has pip only with uv_seed: so has venvcache's (seed = no needs uv: tox-uv's own)."""
    try:
        seed = env.conf["uv_seed"]
    except KeyError:  # tox's virtualenv runner: pip is in its venvs
        return {}
    out = {"VENVCACHE_SEED": "yes" if seed else "no"}
    if "VENVCACHE_UV" not in os.environ:
        out["VENVCACHE_UV"] = str(env.uv)
    return out


def _warm(env: Any) -> bool:
    """Make the environment's directory a venv venvcache made ready; False to leave it to tox."""
    why = _not_ours(env)
    if why:
        _warn_once(f"conf:{env.name}", f"{env.name}: {why}, which venvcache does not make")
        return False
    prog = _program()
    if prog is None:
        _warn_once("missing", f"program '{os.environ.get('TOX_VENVCACHE', 'venvcache')}' not found")
        return False
    env_dir = Path(env.env_dir)
    if env_dir.is_dir() and not (env_dir / STAMP).exists():
        if any(env_dir.iterdir()):
            _warn_once(
                f"dir:{env_dir}", f"{env_dir} was not made by venvcache (tox -r {env.name} makes it anew)"
            )
            return False
        env_dir.rmdir()  # tox -r leaves it empty
    try:
        lines, constraints = _requirements(env)
        python = _python(env)
    except Exception as exc:  # noqa: BLE001 - tox raises what it would raise when it installs
        _warn_once(f"req:{env.name}", f"{env.name}: {exc}")
        return False
    work = Path(env.core["work_dir"])
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".venvcache-", dir=work) as tmp:
        req = Path(tmp, "requirements.txt")
        if constraints:
            Path(tmp, "constraints.txt").write_text("".join(c + "\n" for c in constraints))
            lines = [*lines, "-c constraints.txt"]
        req.write_text("".join(line + "\n" for line in lines))
        cmd = [prog, "--venv-root", str(env_dir.parent), "warm", "--name", env_dir.name, "-r", str(req), "-p", python]
        run_env = dict(os.environ)
        run_env.setdefault("VENVCACHE_MOUNT", "no")  # the venv is tox's env dir, where tox keeps it
        run_env.update(_uv_settings(env))
        # Each venv is tox's exact set, restored whole or created from scratch: never a partial hit,
        # which would bring a nearby entry to the set with the installer (tox-uv's uv or pip).
        run_env["VENVCACHE_PARTIAL"] = "no"
        LOGGER.debug("venvcache: %s", " ".join(cmd))
        proc = subprocess.run(  # noqa: S603
            cmd, cwd=env.core["tox_root"], env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False
        )
    err = proc.stderr.strip().splitlines()
    for line in err:
        LOGGER.info("%s", line)
    path = proc.stdout.strip()
    if proc.returncode != 0 or Path(path) != env_dir:
        why = err[-1] if proc.returncode != 0 and err else f"warm exited {proc.returncode}, venv '{path}'"
        _warn_once(f"warm:{env.name}", f"{env.name}: {why}")
        if (env_dir / STAMP).exists():
            shutil.rmtree(env_dir)  # not ready: tox makes it from nothing
        return False
    return True


# What tox's installers run that venvcache installed: tox-uv's installer
# and pip's name the same steps.
VENVCACHE_STEPS = ("deps", "dependency-groups", "package_deps")


class _Mixin:
    """Wraps a runner class: its venv comes from venvcache when it can."""

    _vc_ready = False
    _vc_pkg_deps = False

    def _setup_env(self) -> None:
        self._vc_ready = _warm(self)
        super()._setup_env()  # type: ignore[misc]

    def create_python_env(self) -> None:
        if not self._vc_ready:
            super().create_python_env()  # type: ignore[misc]

    def _install(self, arguments: Any, section: str, of_type: str) -> None:
        ours = of_type in ("deps", "dependency-groups") or (self._vc_pkg_deps and of_type in ("package", "package_deps"))
        if not (self._vc_ready and ours):
            super()._install(arguments, section, of_type)  # type: ignore[misc]
            return
        # tox's installer compares and records what it installs in the env's
        # .tox-info.json as always (a second run, with the plugin or without,
        # finds it there); it runs only what venvcache did not install: the
        # package itself.
        installer = self.installer  # type: ignore[attr-defined]
        execute = installer._execute_installer  # noqa: SLF001

        def execute_rest(deps: Any, step: str) -> None:
            if step in VENVCACHE_STEPS:
                LOGGER.debug("venvcache: %s: installed by venvcache", step)
                return
            execute(deps, step)

        installer._execute_installer = execute_rest  # noqa: SLF001
        try:
            super()._install(arguments, section, of_type)  # type: ignore[misc]
        finally:
            del installer._execute_installer  # noqa: SLF001


@impl(trylast=True)
def tox_register_tox_env(register: ToxEnvRegister) -> None:
    runs = register._run_envs  # noqa: SLF001 - as tox-uv replaces runners
    for rid in RUNNERS:
        cls = runs.get(rid)
        if cls is not None and not issubclass(cls, _Mixin):
            # the same class name: tox's record of the env type stays the same
            runs[rid] = type(cls.__name__, (_Mixin, cls), {"__module__": __name__})
