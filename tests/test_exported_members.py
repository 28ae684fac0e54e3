"""Each package's curated ``__all__`` is exactly its public surface (no leaks, no dangling names)."""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

import jiliang

PACKAGES = [
    *sorted(f"jiliang.{m.name}" for m in pkgutil.iter_modules(jiliang.__path__) if m.ispkg),
    "jiliang",
    "jiliang.errors",
]


def _public(module: types.ModuleType) -> set[str]:
    names = set()
    for name, value in vars(module).items():
        if name.startswith("_") or isinstance(value, types.ModuleType):
            continue
        if name == "annotations":  # from __future__ import annotations
            continue
        origin = getattr(value, "__module__", None)
        if isinstance(origin, str) and not origin.startswith(module.__name__):
            continue  # imported from elsewhere, not part of this package's surface
        names.add(name)
    return names


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_the_public_surface(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        assert _public(module) == set(), f"{name} has public names but no __all__"
        return
    assert len(exported) == len(set(exported)), f"{name}.__all__ repeats a name"
    assert {n for n in exported if not n.startswith("__")} == _public(module)
