"""Read a draw plan file (YAML) and the CSV lists it names, for ``jiliang inspections draw``.

A plan names ``targets`` and ``inspectors`` (CSV paths, relative to the plan file), ``ratios`` per
credit class, ``team_size``, ``exclude_same_district`` and an ``edition``. A key given twice is a
conflicting rule and refused, as is any key the plan format does not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from jiliang.errors import InputError
from jiliang.stats.draw import Inspector, Policy, Target, parse_inspectors_csv, parse_targets_csv

__all__ = [
    "PlanFile",
    "load_plan",
    "parse_yaml_strict",
    "policy_from_mapping",
    "read_inspectors",
    "read_targets",
]

PLAN_KEYS = {
    "targets",
    "inspectors",
    "ratios",
    "team_size",
    "exclude_same_district",
    "edition",
    "public_value",
}


@dataclass(frozen=True, slots=True)
class PlanFile:
    targets: list[Target]
    inspectors: list[Inspector]
    policy: Policy
    public_value: str | None


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise InputError(
                f"conflicting rules: {key!r} is given twice (line {key_node.start_mark.line + 1})"
            )
        seen.add(key)
    return dict(loader.construct_mapping(node))


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def parse_yaml_strict(text: str, what: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{what} is not valid YAML{where}") from None


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} file {path} not found") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} file {path} is not UTF-8 text") from None


def read_targets(path: Path) -> list[Target]:
    return parse_targets_csv(_read(path, "targets"))


def read_inspectors(path: Path) -> list[Inspector]:
    return parse_inspectors_csv(_read(path, "inspectors"))


def policy_from_mapping(data: dict[str, Any]) -> Policy:
    ratios = data.get("ratios")
    if not isinstance(ratios, dict) or not ratios:
        raise InputError("the plan needs ratios per credit class, e.g. ratios: {A: 0.02, B: 0.05}")
    return Policy(
        edition=str(data.get("edition") or "unnamed"),
        ratios={str(k): v for k, v in ratios.items()},
        team_size=data.get("team_size", 2),
        exclude_same_district=data.get("exclude_same_district", False),
    )


def load_plan(path: Path) -> PlanFile:
    """The plan at ``path`` with its lists read and checked."""
    data = parse_yaml_strict(_read(path, "plan"), "plan")
    if not isinstance(data, dict):
        raise InputError("the plan must be a mapping with targets, inspectors, ratios …")
    unknown = sorted(str(k) for k in set(data) - PLAN_KEYS)
    if unknown:
        raise InputError(f"the plan has unknown key(s): {', '.join(unknown)}")
    for key in ("targets", "inspectors"):
        if not isinstance(data.get(key), str):
            raise InputError(f"the plan needs {key}: a CSV file path")
    base = path.parent
    public = data.get("public_value")
    return PlanFile(
        targets=read_targets(base / data["targets"]),
        inspectors=read_inspectors(base / data["inspectors"]),
        policy=policy_from_mapping(data),
        public_value=None if public is None else str(public),
    )
