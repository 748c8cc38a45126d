"""The Triton model repository that deploy/compose/docker-compose.yml mounts, and model updates in it.

    python deploy/compose/model_repository.py init --versions var/demo-versions --repository var/compose/triton-repo
    python deploy/compose/model_repository.py roll-out 2    # the unsafe update (make compose-update)
    python deploy/compose/model_repository.py roll-back 2   # back to version 1 (make compose-rollback)

The layout is serve_repository.py's (``<repository>/<model>/config.pbtxt`` with the same config, one folder per
live version holding the weights and ``model.py``), with one difference: each version folder is a **copy**, not
a link, because a link to a path on this machine would not resolve inside the Triton container. A version
appears or goes in one rename (staged beside the repository, on the same file system), so Triton, polling the
mounted folder, never sees half a version; it serves the newest version present.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path.insert(0, str(REPO_ROOT / "deploy" / "demo_model"))

from serve_repository import CONFIG_TEMPLATE, MODEL_FILE  # noqa: E402  (the demo's own repository writer)
from serve_repository import parse_args as serve_defaults  # noqa: E402

DEFAULT_REPOSITORY = REPO_ROOT / "var" / "compose" / "triton-repo"
DEFAULT_VERSIONS = REPO_ROOT / "var" / "demo-versions"
DEFAULT_MODEL = "llava_demo"


class RepositoryError(Exception):
    pass


def _staging(repository: Path) -> Path:
    """Outside the repository root (Triton would take any folder in it for a model), same file system."""
    path = repository.parent / f".{repository.name}-staging"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _available(versions: Path) -> list[str]:
    found = versions.iterdir() if versions.is_dir() else iter(())
    return sorted((p.name for p in found if p.is_dir() and p.name.isdigit()), key=int)


def served_versions(repository: Path, model: str = DEFAULT_MODEL) -> list[str]:
    model_dir = repository / model
    return _available(model_dir) if model_dir.is_dir() else []


def add_version(versions: Path, repository: Path, version: str, model: str = DEFAULT_MODEL) -> Path:
    """Copy ``versions/<version>`` and model.py into ``<repository>/<model>/<version>`` in one rename."""
    source = versions / version
    if version not in _available(versions):
        raise RepositoryError(f"version {version} not found under {versions} (found: "
                              f"{', '.join(_available(versions)) or 'none'}); run train_versions.py first")
    target = repository / model / version
    if target.exists():
        raise RepositoryError(f"{target} exists: version {version} is already rolled out")
    staged = _staging(repository) / f"{model}-{version}-{os.getpid()}"
    shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(source, staged, ignore=shutil.ignore_patterns("__pycache__", "model.py"))
    shutil.copyfile(MODEL_FILE, staged / "model.py")
    for path in [staged, *staged.rglob("*")]:  # readable by the container's user, whoever owns the files here
        path.chmod(0o755 if path.is_dir() else 0o644)
    staged.rename(target)
    return target


def remove_version(repository: Path, version: str, model: str = DEFAULT_MODEL) -> None:
    """Take a version out in one rename; the last version is never removed (Triton would unload the model)."""
    served = served_versions(repository, model)
    if version not in served:
        raise RepositoryError(f"version {version} is not in {repository / model} "
                              f"(served: {', '.join(served) or 'none'})")
    if served == [version]:
        raise RepositoryError(f"version {version} is the only one in {repository / model}: roll another out first")
    gone = _staging(repository) / f"{model}-{version}-removed-{os.getpid()}"
    (repository / model / version).rename(gone)
    shutil.rmtree(gone)


def init(versions: Path, repository: Path, live: list[str], model: str = DEFAULT_MODEL) -> Path:
    """A fresh ``<repository>/<model>``: its config.pbtxt and the ``live`` versions."""
    missing = [v for v in live if v not in _available(versions)]
    if not live or missing:
        raise RepositoryError(f"version(s) {', '.join(missing) or '(none)'} not found under {versions} (found: "
                              f"{', '.join(_available(versions)) or 'none'}); run train_versions.py first")
    d = serve_defaults(["--versions", str(versions)])
    model_dir = repository / model
    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir(parents=True)
    (model_dir / "config.pbtxt").write_text(CONFIG_TEMPLATE.format(
        name=model, instances=d.instances, threads=d.torch_threads, default_max_tokens=d.default_max_tokens,
        max_tokens_limit=d.max_tokens_limit), encoding="utf-8")
    for version in live:
        add_version(versions, repository, version, model)
    return model_dir


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--versions", type=Path, default=DEFAULT_VERSIONS, help="train_versions.py's output folder")
    p.add_argument("--repository", type=Path, default=DEFAULT_REPOSITORY, help="the folder compose mounts at /models")
    p.add_argument("--model-name", default=DEFAULT_MODEL)
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("init", help="write the repository afresh with the --live versions")
    c.add_argument("--live", default="1", help="comma-separated versions to serve (default: 1)")
    c = sub.add_parser("roll-out", help="add a version: Triton serves the newest")
    c.add_argument("version")
    c = sub.add_parser("roll-back", help="remove a version")
    c.add_argument("version")
    args = p.parse_args(argv)
    repository, model = args.repository.resolve(), args.model_name
    try:
        if args.command == "init":
            live = [v.strip() for v in args.live.split(",") if v.strip()]
            init(args.versions.resolve(), repository, live, model)
        elif args.command == "roll-out":
            add_version(args.versions.resolve(), repository, args.version, model)
        else:
            remove_version(repository, args.version, model)
    except RepositoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{repository / model}: versions {', '.join(served_versions(repository, model))} "
          f"(Triton serves the newest within its poll interval)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
