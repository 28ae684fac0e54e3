"""Measurement models: the model file (YAML or JSON), its validation, and the JSON Schema.

The file format is described in ``docs/guide/uncertainty.md`` and by the JSON Schema shipped
with the package (:func:`model_schema`). Everything is checked when the :class:`Model` is built:
expressions against the allow-list of :mod:`jiliang.uncertainty.expr`, undefined symbols, the
parameters of every distribution, the correlation matrix (symmetric, |r| ≤ 1, positive
semi-definite), the method and the conformity rule. Errors name the offending item.
"""

from __future__ import annotations

import io
import json
import math
import pickle
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from jiliang.uncertainty import expr
from jiliang.uncertainty.distributions import Distribution
from jiliang.uncertainty.errors import ModelTooLargeError, UncertaintyModelError

__all__ = [
    "MAX_INPUTS",
    "MAX_MODEL_BYTES",
    "MAX_OUTPUTS",
    "MAX_TRIALS",
    "SCHEMA_VERSIONS",
    "ConformitySpec",
    "Method",
    "Model",
    "MonteCarloSpec",
    "load_model",
    "model_from_dict",
    "model_schema",
    "read_model_file",
]

MAX_INPUTS = 200
#: Versions of the model-file schema this loader reads (every older file is a valid newer one).
SCHEMA_VERSIONS = ("1.0", "1.1", "1.2")
MAX_OUTPUTS = 20
MAX_TRIALS = 1_000_000_000
MAX_MODEL_BYTES = 2_000_000
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_TOP = frozenset(
    {
        "name",
        "description",
        "model",
        "units",
        "constants",
        "inputs",
        "correlations",
        "ensembles",
        "fits",
        "copula",
        "schema_version",
        "conformity",
        "method",
    }
)
_RULES = ("simple", "guard_band", "non_binary")


def _bad(message: str) -> UncertaintyModelError:
    return UncertaintyModelError(message)


def _check_name(kind: str, name: object) -> str:
    if isinstance(name, str) and name in _GOOD_NAMES:
        return name
    if not isinstance(name, str) or not _NAME.match(name):
        raise _bad(f"{kind} name {name!r} is not a valid name (letter, then letters, digits, _)")
    if name in expr.FUNCTIONS or name in expr.INTERNAL:
        raise _bad(f"{kind} name {name!r} is reserved")
    if len(_GOOD_NAMES) < 100_000:
        _GOOD_NAMES.add(name)
    return name


#: Names already found valid (the check is a regular expression and two look-ups).
_GOOD_NAMES: set[str] = set()


def _input(name: object, spec: object) -> Distribution:
    """The input ``name`` of the model file; inputs whose specification holds only scalars are
    built once per (name, specification) and then reused (a :class:`Distribution` is immutable).
    The value's type is part of the key, so ``True`` is never taken for ``1``."""
    if isinstance(name, str) and type(spec) is dict and len(spec) <= 8:
        try:
            return _cached_input(name, tuple(spec.items()), tuple(map(type, spec.values())))
        except TypeError:  # an unhashable value (observations, a sample): built each time
            pass
    return Distribution.of(_check_name("input", name), spec)  # type: ignore[arg-type]


@lru_cache(maxsize=4096)
def _cached_input(name: str, items: tuple[tuple[Any, Any], ...], types: tuple[type, ...]) -> Distribution:
    return Distribution.of(_check_name("input", name), dict(items))


def _number(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
        raise _bad(f"{where} must be a finite number, got {value!r}")
    return float(value)


def _integer(where: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _bad(f"{where} must be an integer in [{lo}, {hi}], got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class MonteCarloSpec:
    """Monte Carlo settings: a fixed number of ``trials`` or adaptive with ``digits`` (§7.9)."""

    trials: int | None = 1_000_000
    digits: int | None = None
    max_trials: int = 100_000_000
    workers: int = 1
    chunk: int = 65_536

    def __post_init__(self) -> None:
        if (self.trials is None) == (self.digits is None):
            raise _bad("montecarlo: give either trials or adaptive digits")
        if self.trials is not None:
            _integer("montecarlo.trials", self.trials, 10_000, MAX_TRIALS)
        if self.digits is not None:
            _integer("montecarlo.adaptive.digits", self.digits, 1, 4)
        _integer("montecarlo.max_trials", self.max_trials, 10_000, MAX_TRIALS)
        _integer("montecarlo.workers", self.workers, 1, 64)
        _integer("montecarlo.chunk", self.chunk, 1_000, 10_000_000)


@dataclass(frozen=True, slots=True)
class Method:
    """How to evaluate: GUM (order 1 or 2), Monte Carlo, seed, coverage probability, interval."""

    gum: bool = True
    gum_order: int = 1
    montecarlo: MonteCarloSpec | None = field(default_factory=MonteCarloSpec)
    seed: int | None = None
    coverage: float = 0.95
    interval: str = "symmetric"
    validation_digits: int = 2
    #: Run a Monte Carlo for the §8 validation when the GUM result carries warnings and none is asked.
    validate_warnings: bool = True

    def __post_init__(self) -> None:
        _integer("method.gum_order", self.gum_order, 1, 2)
        if not 0.5 <= self.coverage < 1:
            raise _bad(f"method.coverage must be in [0.5, 1), got {self.coverage!r}")
        if self.interval not in ("symmetric", "shortest"):
            raise _bad(f"method.interval must be symmetric or shortest, got {self.interval!r}")
        if self.seed is not None:
            _integer("method.seed", self.seed, 0, 2**63 - 1)
        _integer("method.validation_digits", self.validation_digits, 1, 4)
        if not self.gum and self.montecarlo is None:
            raise _bad("method: neither gum nor montecarlo is requested")


@dataclass(frozen=True, slots=True)
class ConformitySpec:
    """A tolerance interval and decision rule for one output (JCGM 106, ILAC-G8)."""

    output: str
    lower: float | None
    upper: float | None
    rule: str = "simple"
    guard_band: float | None = None
    k: float = 2.0
    prior_mean: float | None = None
    prior_sd: float | None = None

    def __post_init__(self) -> None:
        if self.lower is None and self.upper is None:
            raise _bad("conformity: give lower, upper or both")
        if self.lower is not None and self.upper is not None and not self.lower < self.upper:
            raise _bad(f"conformity: lower ({self.lower}) must be below upper ({self.upper})")
        if self.rule not in _RULES:
            raise _bad(f"conformity.rule must be one of {', '.join(_RULES)}, got {self.rule!r}")
        if not self.k > 0:
            raise _bad(f"conformity.k must be > 0, got {self.k}")
        if (self.prior_mean is None) != (self.prior_sd is None):
            raise _bad("conformity.prior needs both mean and sd")
        if self.prior_sd is not None and not self.prior_sd > 0:
            raise _bad(f"conformity.prior.sd must be > 0, got {self.prior_sd}")


@dataclass(frozen=True)
class Model:
    """A measurement model Y = f(X) with its inputs, correlations, method and conformity rule."""

    name: str
    outputs: tuple[tuple[str, str], ...]
    inputs: tuple[Distribution, ...]
    constants: tuple[tuple[str, float], ...] = ()
    correlations: tuple[tuple[str, str, float], ...] = ()
    method: Method = field(default_factory=Method)
    conformity: ConformitySpec | None = None
    units: tuple[tuple[str, str], ...] = ()
    #: Groups of inputs whose uncertainties come from one variance estimate (one common ν): each
    #: group counts as one term in Welch–Satterthwaite (Willink 2007), correlated or not.
    ensembles: tuple[tuple[str, ...], ...] = ()
    #: ν of the Student-t copula drawing correlated inputs in the Monte Carlo; ∞ = Gaussian copula.
    copula_dof: float = math.inf

    def __post_init__(self) -> None:
        if not (self.copula_dof > 0):
            raise _bad(f"copula.dof must be > 0, got {self.copula_dof!r}")
        if not self.outputs:
            raise _bad("model: no output given")
        if len(self.outputs) > MAX_OUTPUTS:
            raise _bad(f"model: {len(self.outputs)} outputs, more than {MAX_OUTPUTS}")
        if not self.inputs:
            raise _bad("inputs: no input given")
        if len(self.inputs) > MAX_INPUTS:
            raise _bad(f"inputs: {len(self.inputs)} inputs, more than {MAX_INPUTS}")
        names = [d.name for d in self.inputs]
        consts = dict(self.constants)
        for n in names:
            _check_name("input", n)
            if n in consts:
                raise _bad(f"{n!r} is both an input and a constant")
        for n in consts:
            _check_name("constant", n)
        outs = [o for o, _ in self.outputs]
        for o in outs:
            _check_name("output", o)
            if o in consts or o in names:
                raise _bad(f"output {o!r} has the name of an input or constant")
        known = set(names) | set(outs)
        for o, text in self.outputs:
            unknown = sorted(expr.symbols(_prepared(text, self.constants)) - known)
            if unknown:
                raise _bad(f"output {o!r}: undefined symbol(s) {', '.join(unknown)}")
        _resolved(self.outputs, self.constants)  # refuses circular definitions
        for o, text in self.outputs:
            clash = sorted(expr.unknowns(expr.parse(text)) & (set(names) | set(consts) | set(outs) - {o}))
            if clash:
                raise _bad(
                    f"output {o!r}: the unknown of solve() may not be named like a quantity ({clash[0]})"
                )
        index = {n: i for i, n in enumerate(names)}
        seen: set[frozenset[str]] = set()
        for a, b, r in self.correlations:
            for n in (a, b):
                if n not in index:
                    raise _bad(f"correlations: unknown input {n!r}")
            pair = frozenset((a, b))
            if a == b:
                raise _bad(f"correlations: {a!r} with itself")
            if pair in seen:
                raise _bad(f"correlations: pair ({a}, {b}) given twice")
            seen.add(pair)
            if not -1 <= r <= 1:
                raise _bad(f"correlations: r({a}, {b}) = {r} is outside [-1, 1]")
        if self.correlations:
            low = float(np.linalg.eigvalsh(self.correlation_matrix).min())
            if low < -1e-10:
                involved = sorted({n for a, b, _ in self.correlations for n in (a, b)})
                raise _bad(
                    f"correlations: the matrix of {', '.join(involved)} is not positive "
                    f"semi-definite (smallest eigenvalue {low:.3g})"
                )
        self._check_ensembles(index)
        c = self.conformity
        if c is not None and c.output not in outs:
            raise _bad(f"conformity: unknown output {c.output!r}")

    def _check_ensembles(self, index: Mapping[str, int]) -> None:
        member: dict[str, int] = {}
        for k, group in enumerate(self.ensembles):
            if len(group) < 2:
                raise _bad(f"ensembles[{k}]: an ensemble needs at least two inputs")
            for n in group:
                if n not in index:
                    raise _bad(f"ensembles[{k}]: unknown input {n!r}")
                if n in member:
                    raise _bad(f"ensembles[{k}]: input {n!r} is already in ensembles[{member[n]}]")
                member[n] = k
            nus = {self.inputs[index[n]].dof for n in group}
            if len(nus) > 1 or math.isinf(next(iter(nus))):
                shown = ", ".join(f"{n}: {self.inputs[index[n]].dof}" for n in group)
                raise _bad(f"ensembles[{k}]: the inputs must share one finite dof ({shown})")

    @cached_property
    def nodes(self) -> tuple[expr.Node, ...]:
        """The parsed output expressions with the constants substituted and the outputs they
        refer to (intermediate results) written out, so each is a function of the inputs."""
        return _resolved(self.outputs, self.constants)

    @cached_property
    def input_names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.inputs)

    @cached_property
    def output_names(self) -> tuple[str, ...]:
        return tuple(o for o, _ in self.outputs)

    @cached_property
    def correlation_matrix(self) -> npt.NDArray[np.float64]:
        """The input correlation matrix (identity where nothing is stated)."""
        index = {n: i for i, n in enumerate(self.input_names)}
        r = np.eye(len(self.inputs))
        for a, b, value in self.correlations:
            r[index[a], index[b]] = r[index[b], index[a]] = value
        return r


@lru_cache(maxsize=1024)
def _prepared(text: str, constants: tuple[tuple[str, float], ...]) -> expr.Node:
    """Parse ``text`` and substitute the constants (cached per expression and constants)."""
    return expr.substitute(expr.parse(text), dict(constants))


@lru_cache(maxsize=256)
def _resolved(
    outputs: tuple[tuple[str, str], ...], constants: tuple[tuple[str, float], ...]
) -> tuple[expr.Node, ...]:
    """Each output as a function of the inputs: outputs used in other outputs' expressions
    (intermediate results, like GTC's ``result()``) are inlined, in dependency order."""
    parsed = {o: _prepared(text, constants) for o, text in outputs}
    done: dict[str, expr.Node] = {}
    return tuple(_resolve(o, parsed, done, []) for o, _ in outputs)


def _resolve(
    o: str, parsed: dict[str, expr.Node], done: dict[str, expr.Node], visiting: list[str]
) -> expr.Node:
    """Output ``o`` with the outputs it uses inlined (a module function, not a closure calling
    itself, so that no reference cycle is left for the garbage collector)."""
    if o in done:
        return done[o]
    if o in visiting:
        cycle = " -> ".join([*visiting[visiting.index(o) :], o])
        raise _bad(f"model: outputs are defined in a circle ({cycle})")
    visiting.append(o)
    deps = {d: _resolve(d, parsed, done, visiting) for d in sorted(expr.symbols(parsed[o]) & parsed.keys())}
    visiting.pop()
    done[o] = expr.inline(parsed[o], deps) if deps else parsed[o]
    return done[o]


def _mapping(where: str, value: object) -> Mapping[str, Any]:
    if type(value) is dict:
        return value
    if not isinstance(value, Mapping):
        raise _bad(f"{where} must be a mapping, got {type(value).__name__}")
    return value


def _method(raw: object) -> Method:
    m = _mapping("method", raw if raw is not None else {})
    extra = sorted(
        set(m)
        - {
            "gum",
            "gum_order",
            "montecarlo",
            "seed",
            "coverage",
            "interval",
            "validation_digits",
            "validate_warnings",
        }
    )
    if extra:
        raise _bad(f"method: unknown key(s) {extra}")
    mc_raw = m.get("montecarlo", {"trials": 1_000_000})
    mc: MonteCarloSpec | None
    if mc_raw is False or mc_raw is None:
        mc = None
    else:
        spec = _mapping("method.montecarlo", mc_raw)
        extra = sorted(set(spec) - {"trials", "adaptive", "max_trials", "workers", "chunk"})
        if extra:
            raise _bad(f"method.montecarlo: unknown key(s) {extra}")
        kw: dict[str, Any] = {k: spec[k] for k in ("max_trials", "workers", "chunk") if k in spec}
        if "adaptive" in spec:
            if "trials" in spec:
                raise _bad("method.montecarlo: give trials or adaptive, not both")
            ad = _mapping("method.montecarlo.adaptive", spec["adaptive"])
            if set(ad) - {"digits"}:
                raise _bad(f"method.montecarlo.adaptive: unknown key(s) {sorted(set(ad) - {'digits'})}")
            kw["digits"] = ad.get("digits", 2)
            kw["trials"] = None
        else:
            kw["trials"] = spec.get("trials", 1_000_000)
        mc = MonteCarloSpec(**kw)
    gum = m.get("gum", True)
    if not isinstance(gum, bool):
        raise _bad(f"method.gum must be true or false, got {gum!r}")
    cov = _number("method.coverage", m.get("coverage", 0.95))
    check = m.get("validate_warnings", True)
    if not isinstance(check, bool):
        raise _bad(f"method.validate_warnings must be true or false, got {check!r}")
    return Method(
        gum=gum,
        gum_order=m.get("gum_order", 1),
        montecarlo=mc,
        seed=m.get("seed"),
        coverage=cov,
        interval=m.get("interval", "symmetric"),
        validation_digits=m.get("validation_digits", 2),
        validate_warnings=check,
    )


def _conformity(raw: object) -> ConformitySpec | None:
    if raw is None:
        return None
    c = _mapping("conformity", raw)
    extra = sorted(set(c) - {"output", "lower", "upper", "rule", "guard_band", "k", "prior"})
    if extra:
        raise _bad(f"conformity: unknown key(s) {extra}")
    prior = _mapping("conformity.prior", c.get("prior", {}))
    if set(prior) - {"mean", "sd"}:
        raise _bad(f"conformity.prior: unknown key(s) {sorted(set(prior) - {'mean', 'sd'})}")

    def opt(where: str, value: object) -> float | None:
        return None if value is None else _number(where, value)

    out = c.get("output")
    if not isinstance(out, str):
        raise _bad(f"conformity.output must name an output, got {out!r}")
    return ConformitySpec(
        output=out,
        lower=opt("conformity.lower", c.get("lower")),
        upper=opt("conformity.upper", c.get("upper")),
        rule=str(c.get("rule", "simple")),
        guard_band=opt("conformity.guard_band", c.get("guard_band")),
        k=_number("conformity.k", c.get("k", 2.0)),
        prior_mean=opt("conformity.prior.mean", prior.get("mean")),
        prior_sd=opt("conformity.prior.sd", prior.get("sd")),
    )


def _data_correlation(i: int, a: str, b: str, inputs: Mapping[str, Any]) -> float:
    """r of two Type A inputs from their paired observations (GUM §5.2.3, eq. 17; H.2)."""
    series = []
    for name in (a, b):
        spec = inputs.get(name)
        if not isinstance(spec, Mapping) or "data" not in spec:
            raise _bad(f"correlations[{i}]: r = data needs observations for {name!r}")
        series.append(spec["data"])
    if len(series[0]) != len(series[1]):
        raise _bad(
            f"correlations[{i}]: {a!r} and {b!r} have {len(series[0])} and {len(series[1])} observations"
        )
    x = np.asarray(series[0], dtype=float)
    y = np.asarray(series[1], dtype=float)
    if x.std() == 0 or y.std() == 0:
        raise _bad(f"correlations[{i}]: observations of {a!r} or {b!r} do not vary")
    return float(np.corrcoef(x, y)[0, 1])


def _output_units(
    data: Any, outputs: Mapping[str, Any], complex_parts: Mapping[str, tuple[str, ...]] = {}
) -> tuple[tuple[str, str], ...]:
    """``units: {output: unit}``: the unit of each output (a label, shown with the results); the
    unit of a complex output applies to its parts (the phase is in rad)."""
    if data is None:
        return ()
    units = _mapping("units", data)
    unknown = sorted(set(units) - set(outputs) - set(complex_parts))
    if unknown:
        raise _bad(f"units: {unknown} are not outputs of the model")
    out: list[tuple[str, str]] = []
    for o, u in units.items():
        for part in complex_parts.get(o, (o,)):
            out.append((part, "rad" if part.endswith("_phase") else str(u)[:64]))
    return tuple(out)


def _complex(
    inputs: Mapping[str, Any], outputs: Mapping[str, Any], units: object
) -> tuple[dict[str, Any], dict[str, Any], list[tuple[str, str, float]], dict[str, tuple[str, ...]]]:
    """Complex inputs ``{complex: {re, im, u_re, u_im, r}}`` and outputs ``{complex: expression,
    polar: bool}`` (W_re, W_im, and with polar W_mag, W_phase) as real ones (JCGM 102 §6; :mod:`~jiliang.uncertainty.complexmodel`):
    the inputs, outputs and correlations to use, and each complex output's real parts."""
    from jiliang.uncertainty.complexmodel import PARTS, complex_input, split

    def is_complex(spec: object) -> bool:
        return type(spec) is not str and isinstance(spec, Mapping) and "complex" in spec

    quick = [v for v in (*inputs.values(), *outputs.values()) if type(v) is not str]
    if not any(("complex" in v) if type(v) is dict else is_complex(v) for v in quick):
        return dict(inputs), dict(outputs), [], {}
    names = {n for n, v in inputs.items() if is_complex(v)} | {o for o, v in outputs.items() if is_complex(v)}
    new_in: dict[str, Any] = {}
    corrs: list[tuple[str, str, float]] = []
    for n, spec in inputs.items():
        if not is_complex(spec):
            new_in[n] = spec
            continue
        if set(spec) != {"complex"}:
            raise _bad(f"input {n!r}: a complex input is {{complex: {{re, im, u_re, u_im, r}}}}")
        re_spec, im_spec, r = complex_input(n, _mapping(f"input {n!r}: complex", spec["complex"]))
        new_in[f"{n}_re"], new_in[f"{n}_im"] = re_spec, im_spec
        if r != 0.0:
            corrs.append((f"{n}_re", f"{n}_im", r))
    new_out: dict[str, Any] = {}
    parts_of: dict[str, tuple[str, ...]] = {}
    for o, spec in outputs.items():
        if not is_complex(spec):
            new_out[o] = spec
            continue
        polar = spec.get("polar", False)
        if sorted(set(spec) - {"complex", "polar"}) or not isinstance(polar, bool):
            raise _bad(f"output {o!r}: a complex output is {{complex: expression, polar: true or false}}")
        new_out[f"{o}_re"], new_out[f"{o}_im"] = split(spec["complex"], frozenset(names))
        parts = ["re", "im"]
        if polar:  # |W| and arg W from the parts (intermediate results)
            new_out[f"{o}_mag"] = f"sqrt({o}_re**2 + {o}_im**2)"
            new_out[f"{o}_phase"] = f"atan2({o}_im, {o}_re)"
            parts += ["mag", "phase"]
        parts_of[o] = tuple(f"{o}{PARTS[p]}" for p in parts)
    return new_in, new_out, corrs, parts_of


def _fits(
    raw: object, taken: set[str]
) -> tuple[list[Distribution], list[tuple[str, str, float]], list[tuple[str, ...]]]:
    """``fits: {NAME: {x: [...], y: [...], responses: [...]}}``: a straight line y = a + b·x fitted
    by least squares (GUM H.3) gives the inputs NAME_a (intercept) and NAME_b (slope), correlated,
    with ν = n − 2; ``responses`` (new observations of y) add NAME_y, their mean with
    u = s/√p (GTC's ``x_from_y``). All of them form one ensemble: they share the residual s."""
    if raw is None:
        return [], [], []
    from jiliang.uncertainty.typea import straight_line_fit

    fits = _mapping("fits", raw)
    dists: list[Distribution] = []
    corrs: list[tuple[str, str, float]] = []
    groups: list[tuple[str, ...]] = []
    for name, spec in fits.items():
        _check_name("fit", name)
        f = _mapping(f"fits.{name}", spec)
        extra = sorted(set(f) - {"x", "y", "responses"})
        if extra or "x" not in f or "y" not in f:
            raise _bad(f"fits.{name}: needs x and y (and optionally responses); unknown key(s) {extra}")
        for key in ("x", "y", "responses"):
            if key in f and (not isinstance(f[key], list) or len(f[key]) > MAX_INPUTS * 500):
                raise _bad(f"fits.{name}.{key} must be a list of at most {MAX_INPUTS * 500} numbers")
        xs = [_number(f"fits.{name}.x[{i}]", v) for i, v in enumerate(f["x"])]
        ys = [_number(f"fits.{name}.y[{i}]", v) for i, v in enumerate(f["y"])]
        if len(xs) != len(ys):
            raise _bad(f"fits.{name}: x and y differ in length ({len(xs)} and {len(ys)})")
        try:
            line = straight_line_fit(xs, ys)
        except UncertaintyModelError as exc:  # its arguments are called t and b
            why = str(exc).replace("t:", "x:", 1).replace("b:", "y:", 1)
            raise _bad(f"fits.{name}: {why}") from None
        nu = float(line.dof)
        made = [(f"{name}_a", line.y1, line.u_y1), (f"{name}_b", line.y2, line.u_y2)]
        if "responses" in f:
            resp = [_number(f"fits.{name}.responses[{i}]", v) for i, v in enumerate(f["responses"])]
            if not resp:
                raise _bad(f"fits.{name}.responses: give at least one observation")
            made.append((f"{name}_y", math.fsum(resp) / len(resp), line.s / math.sqrt(len(resp))))
        for n, mean, u in made:
            if n in taken:
                raise _bad(f"fits.{name}: input {n!r} is defined twice")
            taken.add(n)
            dists.append(Distribution.of(n, {"dist": "t", "mean": mean, "scale": u, "dof": nu}))
        corrs.append((f"{name}_a", f"{name}_b", line.r))
        groups.append(tuple(n for n, _, _ in made))
    return dists, corrs, groups


def _output_text(o: str, spec: object) -> str:
    """An output's expression: text, a number, or an implicit model
    ``{implicit: "g(o, X)", bracket: [low, high]}`` (o is the root of g in the bracket), written
    as ``solve(g, o, low, high)``."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        return str(spec)
    if isinstance(spec, Mapping):
        extra = sorted(set(spec) - {"implicit", "bracket"})
        g, bracket = spec.get("implicit"), spec.get("bracket")
        if extra or not isinstance(g, str) or not isinstance(bracket, list) or len(bracket) != 2:
            raise _bad(f"output {o!r}: an implicit model is {{implicit: equation, bracket: [low, high]}}")
        ends = []
        for k, end in enumerate(bracket):
            if isinstance(end, str):
                ends.append(f"({end})")
            else:
                ends.append(repr(_number(f"output {o!r}: bracket[{k}]", end)))
        return f"solve({g}, {o}, {ends[0]}, {ends[1]})"
    raise _bad(f"output {o!r}: expression must be text, got {spec!r}")


#: Models built from model files, by the file's key (:func:`_file_key`): a :class:`Model` is
#: immutable, so the same file gives the same model without validating it again.
_MODELS: OrderedDict[bytes, Model] = OrderedDict()
MAX_CACHED_MODELS = 256
#: Files whose key is longer than this are validated each time, not cached.
_MAX_KEY_BYTES = 16_384


def model_from_dict(data: Mapping[str, Any]) -> Model:
    """Build and validate a :class:`Model` from the parsed model file.

    A file seen before (the same keys in the same order, values of the same types and equal) gives
    the model built then: the model is immutable and was validated then.
    """
    key = _file_key(data)
    if key is not None:
        hit = _MODELS.get(key)
        if hit is not None:
            return hit
    model = _model_from_dict(data)
    if key is not None:
        _MODELS[key] = model
        while len(_MODELS) > MAX_CACHED_MODELS:
            try:  # the oldest first; another thread may have removed it meanwhile
                _MODELS.popitem(last=False)
            except KeyError:
                break
    return model


class _PlainData(pickle.Pickler):
    """Writes plain data only: dict, list, tuple, str, int, float, bool, None (bytes and sets too);
    anything else (a mapping or number of another type, an array) is refused."""

    def reducer_override(self, obj: Any) -> Any:
        raise TypeError(f"not plain data: {type(obj).__name__}")


def _file_key(data: object) -> bytes | None:
    """A parsed model file as bytes that tell apart whatever the loader tells apart: the exact
    types (True from 1, 1 from 1.0, a list from a tuple), every bit of each float (the sign of a
    zero), the order of keys (the order of inputs). Never read back: it is only a dictionary key.
    None for anything but plain data, or a key longer than :data:`_MAX_KEY_BYTES`."""
    if type(data) is not dict:
        return None
    buf = io.BytesIO()
    try:
        _PlainData(buf, protocol=5).dump(data)
    except (TypeError, ValueError, RecursionError, pickle.PicklingError):
        return None
    key = buf.getvalue()
    return key if len(key) <= _MAX_KEY_BYTES else None


def _model_from_dict(data: Mapping[str, Any]) -> Model:
    d = _mapping("model file", data)
    extra = sorted(set(d) - _TOP)
    if extra:
        raise _bad(f"model file: unknown key(s) {extra}")
    outputs = _mapping("model", d.get("model"))
    inputs = _mapping("inputs", d.get("inputs"))
    if len(inputs) > MAX_INPUTS:
        raise _bad(f"inputs: {len(inputs)} inputs, more than {MAX_INPUTS}")
    inputs, outputs, complex_corrs, complex_units = _complex(inputs, outputs, d.get("units"))
    texts = {_check_name("output", o): _output_text(o, spec) for o, spec in outputs.items()}
    constants = _mapping("constants", d.get("constants", {}) or {})
    if len(inputs) > MAX_INPUTS:
        raise _bad(f"inputs: {len(inputs)} inputs, more than {MAX_INPUTS}")
    dists = tuple(_input(n, spec) for n, spec in inputs.items())
    units = tuple(
        (n, str(spec["unit"])[:64])
        for n, spec in inputs.items()
        if (type(spec) is dict or isinstance(spec, Mapping)) and "unit" in spec
    ) + _output_units(d.get("units"), outputs, complex_units)
    corr_raw = d.get("correlations", []) or []
    if not isinstance(corr_raw, list):
        raise _bad("correlations must be a list of [A, B, r]")
    corrs = []
    for i, item in enumerate(corr_raw):
        if not isinstance(item, list | tuple) or len(item) != 3:
            raise _bad(f"correlations[{i}] must be [A, B, r], got {item!r}")
        a, b, r = item
        if not isinstance(a, str) or not isinstance(b, str):
            raise _bad(f"correlations[{i}]: input names must be text, got {a!r}, {b!r}")
        if r == "data":
            r = _data_correlation(i, a, b, inputs)
        corrs.append((a, b, _number(f"correlations[{i}] r", r)))
    corrs.extend(complex_corrs)
    fit_inputs, fit_corrs, fit_groups = _fits(d.get("fits"), {x.name for x in dists})
    dists += tuple(fit_inputs)
    corrs.extend(fit_corrs)
    ens_raw = d.get("ensembles", []) or []
    if not isinstance(ens_raw, list) or not all(
        isinstance(g, list) and all(isinstance(n, str) for n in g) for g in ens_raw
    ):
        raise _bad("ensembles must be a list of lists of input names")
    version = d.get("schema_version")
    if version is not None and version not in SCHEMA_VERSIONS:
        raise _bad(f"schema_version {version!r} is not one of {', '.join(SCHEMA_VERSIONS)}")
    name = d.get("name", "model")
    if not isinstance(name, str):
        raise _bad(f"name must be text, got {name!r}")
    return Model(
        name=name[:200],
        outputs=tuple(texts.items()),
        inputs=dists,
        constants=tuple((k, _number(f"constant {k!r}", v)) for k, v in constants.items()),
        correlations=tuple(corrs),
        method=_method(d.get("method")),
        conformity=_conformity(d.get("conformity")),
        units=units,
        ensembles=tuple(tuple(g) for g in ens_raw) + tuple(fit_groups),
        copula_dof=_copula(d.get("copula")),
    )


def _copula(raw: object) -> float:
    """``copula: {kind: gaussian}`` (the default) or ``{kind: t, dof: ν}``: ν, or ∞ for Gaussian."""
    if raw is None:
        return math.inf
    c = _mapping("copula", raw)
    kind = c.get("kind", "gaussian")
    if kind == "gaussian":
        if set(c) - {"kind"}:
            raise _bad(f"copula: unknown key(s) {sorted(set(c) - {'kind'})} for a Gaussian copula")
        return math.inf
    if kind != "t":
        raise _bad(f"copula.kind must be gaussian or t, got {kind!r}")
    if set(c) != {"kind", "dof"}:
        raise _bad("copula: a t copula is {kind: t, dof: ν}")
    nu = _number("copula.dof", c["dof"])
    if not 0 < nu <= 1e6:
        raise _bad(f"copula.dof must be in (0, 1e6], got {nu}")
    return nu


def load_model(text: str | bytes, *, fmt: str | None = None, max_bytes: int = MAX_MODEL_BYTES) -> Model:
    """Parse a model file (YAML, or JSON which YAML also reads) and build the :class:`Model`.

    ``fmt`` is ``"json"``, ``"yaml"`` or ``None`` (guess: JSON if it starts with ``{``); files
    larger than ``max_bytes`` are refused (:class:`ModelTooLargeError`).
    """
    return model_from_dict(read_model_file(text, fmt=fmt, max_bytes=max_bytes))


def read_model_file(text: str | bytes, *, fmt: str | None = None, max_bytes: int = MAX_MODEL_BYTES) -> Any:
    """The parsed model file (the one reader of model files: CLI, console, API and saved budgets);
    :func:`model_from_dict` then validates it.

    >>> read_model_file("model: {y: 2 * x}")["model"]
    {'y': '2 * x'}
    """
    size = len(text.encode("utf-8")) if isinstance(text, str) else len(text)
    if size > max_bytes:
        raise ModelTooLargeError(f"model file is larger than {max_bytes} bytes")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _bad(f"model file is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if fmt is None:
        fmt = "json" if text.lstrip().startswith("{") else "yaml"
    try:
        if fmt == "json":
            data = json.loads(text)
        elif fmt == "yaml":
            import yaml

            data = yaml.safe_load(text)
        else:
            raise _bad(f"unknown model format {fmt!r}")
    except UncertaintyModelError:
        raise
    except RecursionError:
        raise _bad("model file is nested too deeply") from None
    except Exception as exc:  # yaml.YAMLError, json.JSONDecodeError
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _bad(f"model file is not valid {fmt.upper()}: {first}") from None
    return data


def model_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the model file, shipped as ``model.schema.json``."""
    text = resources.files("jiliang.uncertainty").joinpath("model.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
