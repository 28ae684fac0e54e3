"""Propagation of distributions by a Monte Carlo method (JCGM 101:2008, JCGM 102:2011 §7).

* Inputs are drawn in chunks (default 65 536 trials) from independent ``numpy.random.Generator``
  streams (SFC64 bit generator), one per chunk, spawned from one :class:`numpy.random.SeedSequence`: the result for a
  seed does not depend on the number of worker threads (NumPy releases the GIL while drawing and
  evaluating whole arrays, so threads use several cores).
* Correlated inputs are drawn through a Gaussian copula: z = L ε with L Lᵀ = R, then
  xᵢ = Gᵢ⁻¹(Φ(zᵢ)) (normal marginals directly as μ + σ z, JCGM 101 §6.4.8); or, when the model
  asks for ``copula: {kind: t, dof: ν}``, a Student-t copula (the NIST Uncertainty Machine's
  and suncal's other choice): tᵢ = zᵢ/√(w/ν) with one w ~ χ²_ν per trial and group, then
  xᵢ = Gᵢ⁻¹(T_ν(tᵢ)) — the same correlation matrix, with joint extremes more frequent.
* Mean, standard deviation and output covariance are accumulated exactly, chunk by chunk
  (Chan's pairwise update). Coverage intervals (§7.7: probabilistically symmetric, and the
  shortest of §7.7.2) come from the sorted model values; to keep memory bounded at 1e8 trials
  only ``store`` values per output are kept: beyond that, the trials are split into blocks of
  ``store`` values and the interval endpoints are the averages of the blocks' endpoints, as in
  the adaptive procedure of §7.9.4 (the bias is of order 1/store, far below the Monte Carlo noise).
* Adaptive procedure (§7.9.4): blocks of M = max(100/(1 − p), 10⁴) trials until twice the
  standard deviation of the averages of y, u(y), y_low and y_high is at most the numerical
  tolerance δ of u(y) at the requested number of significant digits (§7.9.2).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from jiliang.uncertainty.errors import UncertaintyModelError
from jiliang.uncertainty.model import Model, MonteCarloSpec
from jiliang.uncertainty.propagation import CompiledModel, compiled

__all__ = [
    "DEFAULT_STORE",
    "McOutput",
    "McResult",
    "coverage_intervals",
    "montecarlo",
    "numerical_tolerance",
]

Array = npt.NDArray[np.float64]
#: Model values kept in memory per output for exact order statistics (80 MB of float64).
DEFAULT_STORE = 10_000_000
_PLOT_SAMPLE = 1_000_000


def numerical_tolerance(u: float, digits: int) -> float:
    """δ of JCGM 101 §7.9.2: write u = c × 10^l with c of ``digits`` digits; δ = ½ × 10^l.

    >>> numerical_tolerance(0.0754, 2)
    0.0005
    """
    if not u > 0 or not math.isfinite(u):
        return 0.0
    c = u
    ell = math.floor(math.log10(c)) - (digits - 1)
    if round(u / 10.0**ell) >= 10**digits:  # e.g. 0.0999 with 2 digits rounds to 100 × 10^-3
        ell += 1
    return float(0.5 * 10.0**ell)


def coverage_intervals(
    values: Array, p: float, *, overwrite: bool = False
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Probabilistically symmetric and shortest 100p % intervals of ``values`` (JCGM 101 §7.7).

    With M values, q = pM (rounded to the nearest integer if pM is not one); the symmetric interval
    is [y₍ᵣ₎, y₍ᵣ₊q₎] with r = (M − q)/2 (or ⌊(M − q + 1)/2⌋); the shortest minimises y₍ᵣ₊q₎ − y₍ᵣ₎
    over r = 1 … M − q (§7.7.2). Only the M − q smallest and largest values are needed, so the
    values are partitioned once (in place if ``overwrite``) and just those two tails sorted.

    >>> coverage_intervals(np.arange(1.0, 101.0), 0.9)
    ((5.0, 95.0), (1.0, 91.0))
    """
    m = values.shape[-1]
    if not 0.5 <= p < 1 or m < 2:
        raise UncertaintyModelError(f"coverage interval: p = {p} with {m} values")
    pm = p * m
    q = int(pm) if float(pm).is_integer() else math.floor(pm + 0.5)
    q = min(max(q, 1), m - 1)
    low = m - q  # number of candidate r (r = 1 … M − q)
    r = (m - q) // 2 if (m - q) % 2 == 0 else (m - q + 1) // 2
    r = max(r, 1)
    tails = _tails(values, low) if m >= 200_000 else None
    if tails is not None:
        bottom, top = tails
    else:
        if overwrite:
            values.partition((low - 1, q))
            part = values
        else:
            part = np.partition(values, (low - 1, q))
        bottom = np.sort(part[:low])  # y₍₁₎ … y₍M−q₎
        top = np.sort(part[q:])  # y₍q+1₎ … y₍M₎
    sym = (float(bottom[r - 1]), float(top[r - 1]))
    j = int(np.argmin(top - bottom))
    return sym, (float(bottom[j]), float(top[j]))


def _tails(values: Array, low: int) -> tuple[Array, Array] | None:
    """The ``low`` smallest and ``low`` largest values, sorted, without partitioning everything.

    Thresholds a little beyond the tail quantiles are estimated from an evenly strided subsample
    of 20 000 values (5 binomial standard deviations of margin); the values beyond them are
    extracted and sorted. If a threshold turns out too tight (the extracted set has fewer than
    ``low`` values) ``None`` is returned and the caller partitions instead, so the result is
    always exact.
    """
    m = values.shape[-1]
    sub = np.sort(values[:: max(m // 20_000, 1)])
    ns = sub.size
    frac = low / m
    margin = 5 * math.sqrt(frac * (1 - frac) / ns) + 2 / ns
    i_lo = min(math.ceil((frac + margin) * ns), ns - 1)
    i_hi = max(math.floor((1 - frac - margin) * ns), 0)
    bottom = values[values <= sub[i_lo]]
    top = values[values >= sub[i_hi]]
    if bottom.size < low or top.size < low:
        return None
    bottom.sort()
    top.sort()
    return bottom[:low], top[top.size - low :]


@dataclass(frozen=True, slots=True)
class McOutput:
    """Monte Carlo result for one output: y (mean), u(y) (standard deviation), intervals."""

    name: str
    y: float
    u: float
    p: float
    interval: tuple[float, float]
    shortest: tuple[float, float]
    trials: int


@dataclass(frozen=True, slots=True)
class McResult:
    """All outputs, their covariance and correlation (JCGM 102 §7.6), and how they were obtained.

    ``intervals_from`` is ``"all values"`` (exact order statistics), ``"not computed"`` or ``"block average"`` (the
    endpoints are averages over blocks, see the module notes). ``converged`` is False when the
    adaptive procedure reached ``max_trials`` first. ``samples`` holds up to 10⁶ model values per
    output (for plots and coverage regions); ``seed`` the entropy that reproduces the run.
    """

    outputs: tuple[McOutput, ...]
    covariance: tuple[tuple[float, ...], ...]
    correlation: tuple[tuple[float, ...], ...]
    trials: int
    adaptive: bool
    converged: bool
    blocks: int
    intervals_from: str
    seed: int
    samples: Array = field(repr=False, compare=False)

    def __getitem__(self, name: str) -> McOutput:
        for o in self.outputs:
            if o.name == name:
                return o
        raise KeyError(name)


def _sampler(model: Model) -> Callable[[np.random.Generator, int], list[Any]]:
    """A function drawing ``n`` trials of every input (Gaussian copula for correlated groups)."""
    from jiliang.uncertainty.propagation import _ensembles

    dists = model.inputs
    groups = [g for g in _ensembles(model, shared=False) if len(g) > 1]
    correlated = {i for g in groups for i in g}
    r = model.correlation_matrix
    factors = []
    for g in groups:
        sub = r[np.ix_(g, g)]
        w, v = np.linalg.eigh(sub)
        factors.append((g, v * np.sqrt(np.clip(w, 0.0, None))))

    nu = model.copula_dof

    def draw(rng: np.random.Generator, n: int) -> list[Any]:
        out: list[Any] = [None] * len(dists)
        for i, d in enumerate(dists):
            if i not in correlated:
                out[i] = d.sample(rng, n)
        if factors:
            from scipy.special import ndtr, stdtr

            for g, lower in factors:
                z = np.einsum("ij,jn->in", lower, rng.standard_normal((len(g), n)))
                if math.isfinite(nu):  # Student-t copula
                    t = z / np.sqrt(rng.chisquare(nu, n) / nu)
                    for row, i in enumerate(g):
                        out[i] = dists[i].ppf(stdtr(nu, t[row]))
                    continue
                for row, i in enumerate(g):
                    d = dists[i]
                    if d.kind == "normal":
                        out[i] = d.x + d.u * z[row]
                    else:
                        out[i] = d.ppf(ndtr(z[row]))
        return out

    return draw


class _Accumulator:
    """Exact running moments plus a bounded buffer of values for order statistics."""

    def __init__(self, m: int, p: float, store: int, expected: int | None, keep: bool = True) -> None:
        self.m, self.p, self.store, self.keep = m, p, store, keep
        self.n = 0
        self.mean = np.zeros(m)
        self.m2 = np.zeros((m, m))
        cap = (min(store, expected) if expected else min(store, 1 << 20)) if keep else 0
        self.buffer: Array = np.empty((m, cap))
        self.pos = 0
        self.blocks: list[tuple[int, Array, Array]] = []  # (weight, symmetric (m,2), shortest (m,2))
        self.sample: Array | None = None

    def add(self, y: Array, names: tuple[str, ...]) -> None:
        nb = y.shape[1]
        mb = y.mean(axis=1)
        if not np.isfinite(mb).all():  # one cheap check instead of a pass over every value
            bad = ~np.isfinite(y)
            k = int(np.nonzero(bad.any(axis=1))[0][0])
            raise UncertaintyModelError(
                f"output {names[k]!r} is not finite for {int(bad[k].sum())} of {nb} Monte Carlo "
                "trials (the model leaves its domain or divides by zero for values the inputs can take)"
            )
        dev = y - mb[:, None]
        # einsum, not ``dev @ dev.T``: a threaded BLAS call per chunk costs milliseconds of
        # thread start-up and hand-over on a busy machine; this loop is memory-bound anyway.
        m2b = np.einsum("ij,kj->ik", dev, dev)
        delta = mb - self.mean
        tot = self.n + nb
        self.m2 += m2b + np.outer(delta, delta) * (self.n * nb / tot)
        self.mean += delta * (nb / tot)
        self.n = tot
        if not self.keep:
            if self.sample is None:
                self.sample = y[:, :_PLOT_SAMPLE].copy()
            return
        done = 0
        while done < nb:
            if self.pos == self.buffer.shape[1]:
                if self.buffer.shape[1] < self.store:  # grow (adaptive runs of unknown length)
                    bigger = np.empty((self.m, min(2 * self.buffer.shape[1], self.store)))
                    bigger[:, : self.pos] = self.buffer[:, : self.pos]
                    self.buffer = bigger
                else:
                    self.flush()
            take = min(nb - done, self.buffer.shape[1] - self.pos)
            self.buffer[:, self.pos : self.pos + take] = y[:, done : done + take]
            self.pos += take
            done += take

    def flush(self, last: bool = False) -> None:
        if self.pos == 0:
            return
        values = self.buffer[:, : self.pos]
        count, self.pos = values.shape[1], 0
        if self.sample is None:
            # the only block: a view is enough; otherwise the buffer is reused, so copy
            self.sample = (
                values[:, :_PLOT_SAMPLE] if last and self.m == 1 else values[:, :_PLOT_SAMPLE].copy()
            )
        if count < 10_000 and self.blocks:
            return  # a small remainder: counted in the moments, too short for order statistics
        sym = np.empty((self.m, 2))
        short = np.empty((self.m, 2))
        for k in range(self.m):
            # one output: partition in place (the plot sample stays a valid sample of the marginal)
            sym[k], short[k] = coverage_intervals(values[k], self.p, overwrite=self.m == 1)
        self.blocks.append((count, sym, short))

    def finish(self) -> tuple[Array, Array, str]:
        if not self.keep:
            nan = np.full((self.m, 2), np.nan)
            return nan, nan, "not computed"
        exact = not self.blocks
        self.flush(last=True)
        w = np.array([b[0] for b in self.blocks], dtype=float)
        sym = np.tensordot(w, np.array([b[1] for b in self.blocks]), axes=1) / w.sum()
        short = np.tensordot(w, np.array([b[2] for b in self.blocks]), axes=1) / w.sum()
        return sym, short, "all values" if exact else "block average"


def _chunks(total: int, size: int) -> Iterator[int]:
    while total > 0:
        yield min(size, total)
        total -= size


def _evaluate(
    cm: CompiledModel,
    draw: Callable[[np.random.Generator, int], list[Any]],
    ss: np.random.SeedSequence,
    n: int,
) -> Array:
    rng = np.random.Generator(np.random.SFC64(ss))
    x = draw(rng, n)
    with np.errstate(all="ignore"):
        if len(cm.arrays) == 1:  # one output: keep the model's own array, no copy
            single = np.asarray(cm.arrays[0](x), dtype=np.float64)
            if single.shape == (n,):
                return single.reshape(1, n)
        y = np.empty((len(cm.arrays), n))
        for k, fn in enumerate(cm.arrays):
            y[k] = fn(x)  # broadcasts an output that does not depend on the inputs
    return y


def _run_chunks(
    model: Model,
    sizes: list[int],
    seeds: list[np.random.SeedSequence],
    workers: int,
) -> Iterator[Array]:
    draw = _sampler(model)
    cm = compiled(model)
    if workers <= 1:
        for n, ss in zip(sizes, seeds, strict=True):
            yield _evaluate(cm, draw, ss, n)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        window = 2 * workers
        pending: list[Any] = []
        for n, ss in zip(sizes, seeds, strict=True):
            pending.append(pool.submit(_evaluate, cm, draw, ss, n))
            if len(pending) >= window:
                yield pending.pop(0).result()
        for fut in pending:
            yield fut.result()


def _seed(seed: int | np.random.SeedSequence | None) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    return np.random.SeedSequence(seed)


def montecarlo(
    model: Model,
    *,
    seed: int | np.random.SeedSequence | None = None,
    store: int = DEFAULT_STORE,
    intervals: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> McResult:
    """Propagate the distributions of ``model`` by Monte Carlo (JCGM 101 §7; JCGM 102 §7).

    Parameters
    ----------
    model
        The model; ``model.method.montecarlo`` says fixed trials or adaptive, and the workers.
    seed
        Entropy for the :class:`numpy.random.SeedSequence` (default: ``model.method.seed``;
        ``None`` draws fresh entropy, reported in the result's ``seed``).
    store
        Model values kept per output for exact order statistics (see the module notes).
    progress
        Called as ``progress(done, total)`` after every chunk (``total`` is ``max_trials`` for the
        adaptive procedure), e.g. to drive a progress bar.
    intervals
        False skips the coverage intervals (they are reported as NaN): only mean, standard
        deviation and covariance are accumulated, in constant memory for any number of trials.

    References
    ----------
    JCGM 101:2008 §7.2–7.7 (trials, sampling, intervals), §7.9 (adaptive procedure).
    """
    spec = model.method.montecarlo
    if spec is None:
        raise UncertaintyModelError("method.montecarlo is not requested")
    if seed is None:
        seed = model.method.seed
    ss = _seed(seed)
    entropy = ss.entropy if isinstance(ss.entropy, int) else 0
    p = model.method.coverage
    m = len(model.outputs)
    store = max(10_000, min(store, DEFAULT_STORE * 10) // m)
    acc = _Accumulator(m, p, store, spec.trials, keep=intervals or spec.trials is None)
    if spec.trials is not None:
        adaptive, converged, blocks = _fixed(model, spec, spec.trials, ss, acc, progress)
    else:
        adaptive, converged, blocks = _adaptive(model, spec, ss, acc, progress)
    return _result(model, acc, adaptive, converged, blocks, entropy)


def _fixed(
    model: Model,
    spec: MonteCarloSpec,
    trials: int,
    ss: np.random.SeedSequence,
    acc: _Accumulator,
    progress: Callable[[int, int], None] | None,
) -> tuple[bool, bool, int]:
    """A fixed number of trials, chunk by chunk (JCGM 101 §7.2): (adaptive, converged, blocks)."""
    sizes = list(_chunks(trials, spec.chunk))
    for y in _run_chunks(model, sizes, ss.spawn(len(sizes)), spec.workers):
        acc.add(y, model.output_names)
        if progress is not None:
            progress(acc.n, trials)
    return False, True, len(sizes)


def _adaptive(
    model: Model,
    spec: MonteCarloSpec,
    ss: np.random.SeedSequence,
    acc: _Accumulator,
    progress: Callable[[int, int], None] | None,
) -> tuple[bool, bool, int]:
    """The adaptive procedure of JCGM 101 §7.9.4, block by block: (adaptive, converged, blocks)."""
    assert spec.digits is not None
    p = model.method.coverage
    m = len(model.outputs)
    converged, blocks = False, 0
    block = max(math.ceil(100 / (1 - p)), 10_000)
    stats: list[Array] = []  # per block: (m, 4) = y, u, y_low, y_high
    for yb in _adaptive_blocks(model, spec, ss, acc, block):
        stats.append(_block_stats(yb, m, p, model.method.interval))
        acc.add(yb, model.output_names)
        blocks += 1
        if progress is not None:
            progress(acc.n, spec.max_trials)
        if blocks >= 2 and _stable(stats, acc, spec.digits):
            converged = True
            break
        if acc.n + block > spec.max_trials:
            break
    return True, converged, blocks


def _adaptive_blocks(
    model: Model, spec: MonteCarloSpec, ss: np.random.SeedSequence, acc: _Accumulator, block: int
) -> Iterator[Array]:
    """Blocks of ``block`` model values, drawn a chunk per worker at a time, while under ``max_trials``."""
    per_chunk = max(1, spec.chunk // block)
    while acc.n + block <= spec.max_trials:
        nb = min(per_chunk, (spec.max_trials - acc.n) // block)
        seeds = ss.spawn(max(spec.workers, 1))
        parts = list(_run_chunks(model, [nb * block] * len(seeds), seeds, spec.workers))
        for y in parts:
            for b in range(nb):
                yield y[:, b * block : (b + 1) * block]


def _block_stats(yb: Array, m: int, p: float, interval: str) -> Array:
    """Per output of one block: y, u(y), y_low, y_high (JCGM 101 §7.9.4)."""
    row = np.empty((m, 4))
    for k in range(m):
        sym, short = coverage_intervals(yb[k], p)
        lo_hi = short if interval == "shortest" else sym
        row[k] = (yb[k].mean(), yb[k].std(ddof=1), lo_hi[0], lo_hi[1])
    return row


def _result(
    model: Model, acc: _Accumulator, adaptive: bool, converged: bool, blocks: int, entropy: int
) -> McResult:
    """The estimates, covariance, correlation and intervals from the accumulated trials (JCGM 101 §7.6–7.7)."""
    m, p = len(model.outputs), model.method.coverage
    sym_all, short_all, how = acc.finish()
    cov = acc.m2 / max(acc.n - 1, 1)
    sd = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(np.outer(sd, sd) > 0, cov / np.outer(sd, sd), 0.0)
    np.fill_diagonal(corr, 1.0)
    outs = tuple(
        McOutput(
            name=name,
            y=float(acc.mean[k]),
            u=float(sd[k]),
            p=p,
            interval=(float(sym_all[k, 0]), float(sym_all[k, 1])),
            shortest=(float(short_all[k, 0]), float(short_all[k, 1])),
            trials=acc.n,
        )
        for k, name in enumerate(model.output_names)
    )
    sample = acc.sample if acc.sample is not None else np.empty((m, 0))
    return McResult(
        outs,
        tuple(tuple(float(v) for v in row) for row in cov),
        tuple(tuple(float(v) for v in row) for row in corr),
        acc.n,
        adaptive,
        converged,
        blocks,
        how,
        entropy,
        sample,
    )


def _stable(stats: list[Array], acc: _Accumulator, digits: int) -> bool:
    """JCGM 101 §7.9.4 g)–h): 2 s of each average ≤ δ(u(y)) for every output."""
    h = len(stats)
    s = np.array(stats)  # (h, m, 4)
    sd_avg = s.std(axis=0, ddof=1) / math.sqrt(h)
    u_all = np.sqrt(np.diag(acc.m2) / max(acc.n - 1, 1))
    for k in range(s.shape[1]):
        delta = numerical_tolerance(float(u_all[k]), digits)
        if delta == 0.0 or np.any(2 * sd_avg[k] > delta):
            if delta == 0.0 and np.all(sd_avg[k] == 0):
                continue
            return False
    return True
