"""A Dockerfile read into stages and instructions, with Docker's variable substitution and .dockerignore rules.

Only what ``check_dockerfile.py`` needs to replay a build outside Docker: FROM/ARG/ENV/WORKDIR/COPY/RUN/USER/
EXPOSE/VOLUME/HEALTHCHECK/ENTRYPOINT/CMD, line continuations, comments, JSON (exec) and shell forms. A comment
``# check_dockerfile: skip (why)`` right above an instruction marks it as one the replay leaves out, with why.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

SKIP_MARK = "# check_dockerfile: skip"
_VAR = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<op>[-+])(?P<word>[^}]*))?\}"
                  r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True)
class Instruction:
    line: int  # 1-based line of the instruction's first line
    keyword: str  # upper case
    value: str  # the rest, continuations joined
    skip: str = ""  # why the replay leaves it out (from a check_dockerfile: skip comment), or ""

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form RUN/CMD/ENTRYPOINT/HEALTHCHECK CMD, else None."""
        text = self.value.strip()
        if self.keyword == "HEALTHCHECK":
            text = healthcheck_command(self.value)
        if not text.startswith("["):
            return None
        parsed = json.loads(text)
        if not isinstance(parsed, list) or not all(isinstance(p, str) for p in parsed):
            raise ValueError(f"line {self.line}: {self.keyword} is not a JSON array of strings")
        return parsed


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[Instruction] = field(default_factory=list)


@dataclass
class Dockerfile:
    global_args: list[Instruction]
    stages: list[Stage]

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(f"no stage named {name!r}")


def _logical_lines(text: str) -> list[tuple[int, str, str]]:
    """(line number, instruction text, skip reason) with continuations joined and comments dropped."""
    out: list[tuple[int, str, str]] = []
    buf: list[str] = []
    start = 0
    skip = ""
    pending_skip = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#"):
            if not buf and stripped.startswith(SKIP_MARK):
                pending_skip = stripped[len(SKIP_MARK):].strip().strip("()").strip() or "marked"
            continue  # comments, parser directives, and comment lines inside a continued instruction
        if not stripped and not buf:
            continue
        if not buf:
            start, skip, pending_skip = number, pending_skip, ""
        if raw.rstrip().endswith("\\"):
            buf.append(raw.rstrip()[:-1])
            continue
        buf.append(raw)
        out.append((start, " ".join(part.strip() for part in buf if part.strip()), skip))
        buf = []
    if buf:
        raise ValueError(f"line {start}: the last instruction ends in a line continuation")
    return out


def parse(text: str) -> Dockerfile:
    global_args: list[Instruction] = []
    stages: list[Stage] = []
    for number, line, skip in _logical_lines(text):
        keyword, _, value = line.partition(" ")
        ins = Instruction(number, keyword.upper(), value.strip(), skip)
        if ins.keyword == "FROM":
            words = ins.value.split()
            words = [w for w in words if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(words[0], name))
        elif not stages:
            if ins.keyword != "ARG":
                raise ValueError(f"line {number}: only ARG may come before the first FROM, not {ins.keyword}")
            global_args.append(ins)
        else:
            stages[-1].instructions.append(ins)
    if not stages:
        raise ValueError("no FROM instruction")
    return Dockerfile(global_args, stages)


def load(path: Path) -> Dockerfile:
    return parse(path.read_text(encoding="utf-8"))


def substitute(text: str, env: Mapping[str, str]) -> str:
    """Docker's substitution in ENV/ARG/WORKDIR/COPY/USER/EXPOSE/FROM: $X, ${X}, ${X:-word}, ${X:+word}."""

    def one(m: re.Match[str]) -> str:
        name = m.group("braced") or m.group("bare")
        value = env.get(name, "")
        op = m.group("op")
        if op == "-":
            return value or substitute(m.group("word"), env)
        if op == "+":
            return substitute(m.group("word"), env) if value else ""
        return value

    return _VAR.sub(one, text)


def assignments(value: str, env: Mapping[str, str]) -> list[tuple[str, str]]:
    """The key=value pairs of an ENV or ARG instruction (values substituted; ARG without a default -> "")."""
    words = shlex.split(value, posix=True)
    if len(words) >= 2 and "=" not in words[0]:  # legacy "ENV key value with spaces"
        return [(words[0], substitute(" ".join(words[1:]), env))]
    pairs = []
    for word in words:
        key, eq, raw = word.partition("=")
        pairs.append((key, substitute(raw, env) if eq else env.get(key, "")))
    return pairs


def copy_args(value: str, env: Mapping[str, str]) -> tuple[dict[str, str], list[str], str]:
    """(flags such as {'from': 'build'}, sources, destination) of a COPY instruction."""
    text = value.strip()
    flags: dict[str, str] = {}
    words = shlex.split(text, posix=True) if not text.startswith("[") else []
    while words and words[0].startswith("--"):
        key, _, flag_value = words.pop(0)[2:].partition("=")
        flags[key] = flag_value
    if text.startswith("["):
        words = json.loads(text)
    paths = [substitute(w, env) for w in words]
    if len(paths) < 2:
        raise ValueError(f"COPY needs a source and a destination: {value!r}")
    return flags, paths[:-1], paths[-1]


def healthcheck_command(value: str) -> str:
    """The command of a HEALTHCHECK instruction (after its --options and CMD)."""
    words = value.split()
    while words and words[0].startswith("--"):
        words.pop(0)
    if not words or words[0].upper() != "CMD":
        raise ValueError(f"HEALTHCHECK without CMD: {value!r}")
    return value[value.upper().index("CMD") + 3:].strip()


def healthcheck_options(value: str) -> dict[str, str]:
    options = {}
    for word in value.split():
        if not word.startswith("--"):
            break
        key, _, option = word[2:].partition("=")
        options[key] = option
    return options


# ---------------------------------------------------------------------------------------------- .dockerignore


@dataclass(frozen=True)
class IgnoreRule:
    pattern: re.Pattern[str]
    exclude: bool  # False for a "!" exception


def _glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Go's filepath.Match plus '**' (any number of directories), as Docker's pattern matcher reads them."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def read_dockerignore(path: Path) -> list[IgnoreRule]:
    rules: list[IgnoreRule] = []
    if not path.exists():
        return rules
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclude = not line.startswith("!")
        line = line.lstrip("!").strip().strip("/")
        rules.append(IgnoreRule(_glob_to_regex(line), exclude))
    return rules


def is_ignored(relpath: str, rules: list[IgnoreRule]) -> bool:
    """Whether the build context leaves ``relpath`` out: the last rule matching it or a parent folder wins."""
    parts = relpath.strip("/").split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for rule in rules:
        if any(rule.pattern.match(c) for c in candidates):
            ignored = rule.exclude
    return ignored
