"""container-runs-as-root: the user the final stage of a Dockerfile runs as."""

# Only what that needs is parsed: parser directives (``# escape=``), comment lines, line
# continuations, heredoc bodies (skipped), ``FROM`` (stages and their names), ``ARG``/``ENV``
# defaults (to resolve ``USER $APP_USER``) and ``USER``. A final stage built ``FROM`` an
# earlier stage inherits that stage's user. A ``USER`` whose value cannot be resolved is
# given the benefit of the doubt, and so is a base image whose name says it is unprivileged
# (``nonroot``, ``non-root``, ``rootless``, ``unprivileged``), since the base decides then.

from __future__ import annotations

import re
from dataclasses import dataclass, field

from secure_gate import dockerfiles
from secure_gate.model import Confidence
from secure_gate.scanners.practices.rules import CONTAINER_RUNS_AS_ROOT, Hit

ROOT_USERS = frozenset({"root", "0"})
UNPRIVILEGED_BASES = ("nonroot", "non-root", "rootless", "unprivileged")
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}"
                       r"|([A-Za-z_][A-Za-z0-9_]*))")
FIX = ("RUN useradd --create-home --uid 10001 app  (or adduser -D -u 10001 app on Alpine), "
       "then USER 10001 before CMD/ENTRYPOINT")


@dataclass(frozen=True, slots=True)
class Instruction:
    """One instruction: its keyword (upper case), arguments and first line."""

    keyword: str
    args: str
    line: int


@dataclass
class Stage:
    """A build stage: its FROM line, base image, name, variables and USER instructions."""

    line: int
    image: str  # as written; global ARG defaults substituted when they resolve it
    name: str | None
    variables: dict[str, str] = field(default_factory=dict)
    users: list[Instruction] = field(default_factory=list)


def instructions(text: str) -> list[Instruction]:
    """The file's instructions with continuations joined and heredoc bodies skipped."""
    return [Instruction(i.keyword, " ".join(i.args.split()), i.line)
            for i in dockerfiles.parse(text, strict=False)]


def _expand(value: str, variables: dict[str, str]) -> str | None:
    """``value`` with known variables substituted (None when one is unknown)."""
    unknown = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal unknown
        name, operator, word = match.group(1) or match.group(4), match.group(2), match.group(3)
        if operator == "-" and not variables.get(name):
            return word or ""  # ${NAME:-default}
        if operator == "+":
            return (word or "") if variables.get(name) else ""  # ${NAME:+alternative}
        if name not in variables:
            unknown = True
            return ""
        return variables[name]

    expanded = _VARIABLE.sub(substitute, value)
    return None if unknown else expanded


def _assignments(keyword: str, args: str) -> dict[str, str]:
    """``ARG A=1 B`` / ``ENV A=1 B=2`` / legacy ``ENV A 1``: the names given a value."""
    out: dict[str, str] = {}
    if keyword == "ENV" and "=" not in args.split(" ", 1)[0]:
        name, _, value = args.partition(" ")
        if value.strip():
            out[name] = value.strip().strip("\"'")
        return out
    for item in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\S*)", args):
        out[item[0]] = item[1].strip("\"'")
    return out


def stages(text: str) -> list[Stage]:
    """The build stages in order; ARGs before the first FROM feed FROM lines, and a stage
    that declares one again (``ARG NAME``)."""
    global_args: dict[str, str] = {}
    out: list[Stage] = []
    for instruction in instructions(text):
        if instruction.keyword == "FROM":
            words = [w for w in instruction.args.split() if not w.startswith("--")]
            image = words[0] if words else ""
            image = _expand(image, global_args) or image  # FROM sees the global ARGs
            name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
            out.append(Stage(instruction.line, image, name))
        elif instruction.keyword in ("ARG", "ENV"):
            target = out[-1].variables if out else global_args
            assigned = _assignments(instruction.keyword, instruction.args)
            if instruction.keyword == "ARG" and out:
                # A global ARG reaches a stage only when the stage declares it again.
                for declared in instruction.args.split():
                    key = declared.split("=", 1)[0]
                    if key not in assigned and key in global_args:
                        target[key] = global_args[key]
            for key, value in assigned.items():
                expanded = _expand(value, target)
                if expanded is not None:
                    target[key] = expanded
        elif instruction.keyword == "USER" and out:
            out[-1].users.append(instruction)
    return out


def _effective(stage: Stage, earlier: list[Stage]) -> tuple[Stage, Instruction] | None:
    """The stage and USER instruction the stage runs with (None: the base image decides)."""
    if stage.users:
        return stage, stage.users[-1]
    parent = next((s for s in reversed(earlier) if s.name and s.name == stage.image.lower()),
                  None)
    if parent is None:
        return None
    return _effective(parent, earlier[: earlier.index(parent)])


def check(text: str) -> list[Hit]:
    """A hit on the final FROM (no USER) or on the USER line that makes it root.

    A ``# nosec`` comment line right above that line silences it (Docker reads a ``#``
    after an instruction as part of its arguments, so it cannot share the line).
    """
    built = stages(text)
    if not built:
        return []
    final = built[-1]
    effective = _effective(final, built[:-1])
    if effective is None:
        if any(word in final.image.lower() for word in UNPRIVILEGED_BASES):
            return []
        image = final.image.split("@", 1)[0]  # the digest adds nothing a reader needs here
        return [Hit(
            rule=CONTAINER_RUNS_AS_ROOT, line=final.line,
            message=(f"The final stage (FROM {image}) sets no USER, so the container "
                     "runs as root unless the base image says otherwise: a compromised "
                     "process then owns the whole container and is one kernel bug away from "
                     "the host. Create an unprivileged user and switch to it with USER."),
            evidence="no USER in the final stage",  # one per file; stable across base bumps
            fix=FIX, confidence=Confidence.MEDIUM,
            nosec_lines=(max(1, final.line - 1), final.line))]
    stage, user = effective
    value = _expand(user.args.strip().strip("\"'"), stage.variables)
    if value is None or value.split(":", 1)[0].strip() not in ROOT_USERS:
        return []
    return [Hit(
        rule=CONTAINER_RUNS_AS_ROOT, line=user.line,
        message=(f"The final stage runs as root (USER {value}): a compromised process then "
                 "owns the whole container and is one kernel bug away from the host. Do the "
                 "root-only steps before this line and end with USER set to an unprivileged "
                 "user."),
        evidence=f"USER {value}", fix=FIX, confidence=Confidence.HIGH,
        nosec_lines=(max(1, user.line - 1), user.line))]
