"""A small, safe expression language for measurement models, with exact symbolic derivatives.

Expressions are parsed with :func:`ast.parse` and every node is checked against an allow-list:
numbers, names, ``+ - * / **``, unary minus and calls of the functions in :data:`FUNCTIONS`.
Nothing is ever passed to ``eval``/``exec``. A parsed expression is a tree of :class:`Node`;
:func:`derivative` differentiates it symbolically (with constant folding), and
:func:`compile_scalar` / :func:`compile_array` turn a tree into a closure evaluating it on Python
floats (``math``) or on whole NumPy arrays.

Examples
--------
>>> node = parse("x * exp(-y / 2)")
>>> sorted(symbols(node))
['x', 'y']
>>> f = compile_scalar(derivative(node, "x"), ("x", "y"))
>>> round(f((3.0, 0.0)), 12)
1.0
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from jiliang.uncertainty.errors import UncertaintyModelError

__all__ = [
    "FUNCTIONS",
    "INTERNAL",
    "MAX_EXPRESSION_CHARS",
    "MAX_TAPE",
    "Node",
    "Tape",
    "compile_array",
    "compile_scalar",
    "derivative",
    "distinct_nodes",
    "inline",
    "parse",
    "substitute",
    "symbols",
]

#: Functions an expression may call, with their number of arguments.
FUNCTIONS: Mapping[str, int] = {
    "sqrt": 1,
    "exp": 1,
    "log": 1,
    "log10": 1,
    "sin": 1,
    "cos": 1,
    "tan": 1,
    "asin": 1,
    "acos": 1,
    "atan": 1,
    "atan2": 2,
    "abs": 1,
    "min": 2,
    "max": 2,
    "where": 3,
    "ellipk": 1,
    "ellipe": 1,
    "solve": 4,
}
#: Longest expression accepted (characters).
MAX_EXPRESSION_CHARS = 4000
_MAX_DEPTH = 100
#: Internal operations (derivatives, comparisons) that are not names a model may use.
INTERNAL = frozenset({"pi", "sign", "le", "lt"})
_RESERVED = frozenset(FUNCTIONS) | INTERNAL

ScalarFn = Callable[[Sequence[float]], float]
ArrayFn = Callable[[Sequence[Any]], Any]


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """One node of an expression tree.

    ``op`` is ``const`` (``value``), ``var`` (``name``), one of ``add sub mul div pow neg``, the
    n-ary ``sum`` (a chain of three or more terms, added left to right), a function of
    :data:`FUNCTIONS`, or the internal ``sign`` / ``le`` used by derivatives.
    """

    op: str
    args: tuple[Node, ...] = ()
    value: float = 0.0
    name: str = ""
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Cached, so hashing a derivative (a DAG sharing subtrees) costs O(1), not its tree size.
        object.__setattr__(self, "_hash", hash((self.op, self.args, self.value, self.name)))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Node):
            return False
        if (
            self._hash != other._hash
            or self.op != other.op
            or self.value != other.value
            or self.name != other.name
            or len(self.args) != len(other.args)
        ):
            return False
        if all(a is b for a, b in zip(self.args, other.args, strict=True)):
            return True  # the common case: a node rebuilt over the same children
        pending = [(self, other)]  # iterative: derivatives of derivatives are deep
        seen: set[tuple[int, int]] = set()  # shared subtrees are compared once
        while pending:
            a, b = pending.pop()
            if a is b or (id(a), id(b)) in seen:
                continue
            seen.add((id(a), id(b)))
            if (
                a._hash != b._hash
                or a.op != b.op
                or a.value != b.value
                or a.name != b.name
                or len(a.args) != len(b.args)
            ):
                return False
            pending.extend(zip(a.args, b.args, strict=True))
        return True

    def __str__(self) -> str:
        if self.op == "const":
            return repr(self.value)
        if self.op == "var":
            return self.name
        if self.op == "neg":
            return f"(-{self.args[0]})"
        if self.op == "sum":
            return "(" + " + ".join(str(a) for a in self.args) + ")"
        if self.op == "solve":
            g, lo, hi = self.args
            return f"solve({g}, {self.name}, {lo}, {hi})"
        sym = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}.get(self.op)
        if sym is not None:
            return f"({self.args[0]} {sym} {self.args[1]})"
        return f"{self.op}({', '.join(str(a) for a in self.args)})"


#: Nodes built so far, each kept once (hash-consing): a node rebuilt over the same children is the
#: same object, so comparing and looking up nodes (tapes, caches, derivatives) stays shallow. Keyed
#: by (op, args, value, name), so a node already built is found without building it again (the
#: args compare by identity first). The table is emptied when full; equality then falls back to
#: comparing structure, results unchanged.
_INTERN: dict[tuple[str, tuple[Node, ...], float, str], Node] = {}
MAX_INTERNED = 50_000


def _node(op: str, args: tuple[Node, ...] = (), value: float = 0.0, name: str = "") -> Node:
    """The one node (op, args, value, name)."""
    key = (op, args, value, name)
    hit = _INTERN.get(key)
    if hit is not None:
        return hit
    if len(_INTERN) >= MAX_INTERNED:
        _INTERN.clear()
    node = _INTERN[key] = Node(op, args, value, name)
    return node


def _const(value: float) -> Node:
    return _node("const", value=float(value))


_ZERO = _const(0.0)
_ONE = _const(1.0)


def _is(node: Node, value: float) -> bool:
    return node.op == "const" and node.value == value


def _scalar_sum(*xs: float) -> float:
    acc = xs[0]
    for v in xs[1:]:
        acc += v
    return acc


def _array_sum(*xs: Any) -> Any:
    acc = np.add(xs[0], xs[1])
    for v in xs[2:]:
        if isinstance(acc, np.ndarray):
            np.add(acc, v, out=acc, casting="unsafe")
        else:
            acc = np.add(acc, v)
    return acc


def _special(name: str) -> Callable[..., Any]:
    """A function of :mod:`scipy.special` (imported when first used)."""
    import scipy.special

    fn: Callable[..., Any] = getattr(scipy.special, name)
    return fn


_SCALAR: dict[str, Callable[..., float]] = {
    "sum": _scalar_sum,
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: float(a**b),
    "neg": lambda a: -a,
    "sqrt": math.sqrt,
    "exp": math.exp,
    "log": math.log,
    "log10": math.log10,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "atan2": math.atan2,
    "abs": abs,
    "min": min,
    "max": max,
    "sign": lambda a: (a > 0) - (a < 0),
    "le": lambda a, b: 1.0 if a <= b else 0.0,
    "lt": lambda a, b: 1.0 if a < b else 0.0,
    "where": lambda c, a, b: a if c else b,
    "ellipk": lambda m: float(_special("ellipk")(m)),
    "ellipe": lambda m: float(_special("ellipe")(m)),
}
_ARRAY: dict[str, Callable[..., Any]] = {
    "sum": _array_sum,
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "pow": np.power,
    "neg": np.negative,
    "sqrt": np.sqrt,
    "exp": np.exp,
    "log": np.log,
    "log10": np.log10,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "atan2": np.arctan2,
    "abs": np.abs,
    "min": np.minimum,
    "max": np.maximum,
    "sign": np.sign,
    "le": lambda a, b: np.less_equal(a, b).astype(np.float64),
    "lt": lambda a, b: np.less(a, b).astype(np.float64),
    "where": lambda c, a, b: np.where(np.asarray(c) != 0, a, b),
    "ellipk": lambda m: _special("ellipk")(m),
    "ellipe": lambda m: _special("ellipe")(m),
}


def _make(op: str, *args: Node) -> Node:
    """Build a node, folding constants and applying the identities 0 + a, 1 * a, a ** 1 …"""
    if op == "sum":
        return _make_sum(args)
    if all(a.op == "const" for a in args):
        try:
            value = float(_SCALAR[op](*(a.value for a in args)))
        except (ArithmeticError, ValueError, TypeError):
            value = math.nan
        if math.isfinite(value):
            return _const(value)
    if op == "add":
        a, b = args
        if _is(a, 0.0):
            return b
        if _is(b, 0.0):
            return a
    elif op == "sub":
        a, b = args
        if _is(b, 0.0):
            return a
        if _is(a, 0.0):
            return _make("neg", b)
    elif op == "mul":
        a, b = args
        if _is(a, 0.0) or _is(b, 0.0):
            return _ZERO
        if _is(a, 1.0):
            return b
        if _is(b, 1.0):
            return a
        if _is(a, -1.0):
            return _make("neg", b)
        if _is(b, -1.0):
            return _make("neg", a)
    elif op == "div":
        a, b = args
        if _is(b, 1.0):
            return a
        if _is(a, 0.0) and b.op == "const" and b.value != 0.0:
            return _ZERO
    elif op == "pow":
        a, b = args
        if _is(b, 1.0):
            return a
        if _is(b, 0.0):
            return _ONE
    elif op == "neg" and args[0].op == "neg":
        return args[0].args[0]
    return _node(op, tuple(args))


def _make_sum(args: Sequence[Node]) -> Node:
    """An n-ary sum: zero terms dropped; two terms become ``add``/``sub``, one the term itself."""
    terms = [a for a in args if not _is(a, 0.0)]
    if terms and all(a.op == "const" for a in terms):
        value = _scalar_sum(*(a.value for a in terms))
        if math.isfinite(value):
            return _const(value)
    if not terms:
        return _ZERO
    if len(terms) == 1:
        return terms[0]
    if len(terms) == 2:
        a, b = terms
        return _make("sub", a, b.args[0]) if b.op == "neg" else _make("add", a, b)
    return _node("sum", tuple(terms))


# ---------------------------------------------------------------------------------------- parsing

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}


def _fail(text: str, why: str) -> UncertaintyModelError:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return UncertaintyModelError(f"expression {shown!r}: {why}")


def _convert(node: ast.AST, text: str, depth: int) -> Node:
    if depth > _MAX_DEPTH:
        raise _fail(text, f"nested deeper than {_MAX_DEPTH} levels")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise _fail(text, f"constant {node.value!r} is not a real number")
        try:
            value = float(node.value)
        except OverflowError:
            raise _fail(text, f"number {node.value} is too large") from None
        if not math.isfinite(value):
            raise _fail(text, f"number {node.value} is not finite")
        return _const(value)
    if isinstance(node, ast.Name):
        if node.id == "pi":
            return _const(math.pi)
        if node.id in _RESERVED:
            raise _fail(text, f"{node.id!r} is a function, not a quantity")
        if node.id.startswith("_"):
            raise _fail(text, f"name {node.id!r} may not start with '_'")
        return _node("var", name=node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        return _chain(node, text, depth)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
        return _product(node, text, depth)
    if isinstance(node, ast.BinOp):
        op = _BINARY.get(type(node.op))
        if op is None:
            hint = " (use ** for powers)" if isinstance(node.op, ast.BitXor) else ""
            raise _fail(text, f"operator {type(node.op).__name__} is not allowed{hint}")
        return _make(op, _convert(node.left, text, depth + 1), _convert(node.right, text, depth + 1))
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.UAdd):
            return _convert(node.operand, text, depth + 1)
        if isinstance(node.op, ast.USub):
            return _make("neg", _convert(node.operand, text, depth + 1))
        raise _fail(text, f"operator {type(node.op).__name__} is not allowed")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            called = node.func.id if isinstance(node.func, ast.Name) else ast.dump(node.func)[:40]
            raise _fail(text, f"call of {called!r} is not allowed; allowed: {', '.join(FUNCTIONS)}")
        name = node.func.id
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise _fail(text, f"{name}() takes positional arguments only")
        if len(node.args) != FUNCTIONS[name]:
            raise _fail(text, f"{name}() takes {FUNCTIONS[name]} argument(s), got {len(node.args)}")
        if name == "solve":
            return _parse_solve(node, text, depth)
        if name == "where":
            cond = _condition(node.args[0], text, depth + 1)
            return _make("where", cond, *(_convert(a, text, depth + 1) for a in node.args[1:]))
        return _make(name, *(_convert(a, text, depth + 1) for a in node.args))
    if isinstance(node, ast.Compare):
        raise _fail(text, "a comparison is allowed only as the condition of where(condition, a, b)")
    raise _fail(text, f"{type(node).__name__} is not allowed")


def _parse_solve(node: ast.Call, text: str, depth: int) -> Node:
    """``solve(g, Y, low, high)``: the Y in [low, high] with g(Y, X) = 0 (an implicit model)."""
    equation, bound, lo, hi = node.args
    if not isinstance(bound, ast.Name) or bound.id in _RESERVED or bound.id.startswith("_"):
        raise _fail(text, "solve(g, Y, low, high): Y must be the name of the unknown")
    g = _convert(equation, text, depth + 1)
    lo_n, hi_n = _convert(lo, text, depth + 1), _convert(hi, text, depth + 1)
    if bound.id not in symbols(g):
        raise _fail(text, f"solve(): the equation does not contain the unknown {bound.id!r}")
    if bound.id in symbols(lo_n) | symbols(hi_n):
        raise _fail(text, f"solve(): the bracket may not depend on the unknown {bound.id!r}")
    return solve_node(g, bound.id, lo_n, hi_n)


def solve_node(g: Node, unknown: str, lo: Node, hi: Node) -> Node:
    """The node of ``solve(g, unknown, lo, hi)`` (its ``name`` is the unknown, bound inside g)."""
    return _node("solve", (g, lo, hi), name=unknown)


def distinct_nodes(node: Node, children: Callable[[Node], Iterable[Node]] | None = None) -> Iterator[Node]:
    """Every node below ``node`` (itself included) once, a shared subexpression once, depth first.

    ``children`` gives a node's children (its ``args`` unless told otherwise, e.g. :func:`operands`).
    """
    seen: set[int] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        yield n
        stack.extend(n.args if children is None else children(n))


@lru_cache(maxsize=1024)
def unknowns(node: Node) -> frozenset[str]:
    """The names bound by the ``solve`` nodes in ``node``."""
    return frozenset(n.name for n in distinct_nodes(node) if n.op == "solve")


def operands(node: Node) -> tuple[Node, ...]:
    """The nodes ``node`` is computed from: its arguments, except for ``solve``, whose equation is
    not evaluated as such: its operands are the bracket and the quantities the equation uses."""
    if node.op != "solve":
        return node.args
    g, lo, hi = node.args
    free = sorted(symbols(g) - {node.name})
    return (lo, hi, *(_node("var", name=n) for n in free))


def _chain(node: ast.BinOp, text: str, depth: int) -> Node:
    """``a ± b ± c …`` as one flat n-ary ``sum`` (walked iteratively: any length is fine)."""
    rights: list[tuple[bool, ast.AST]] = []
    left: ast.AST = node
    while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Add | ast.Sub):
        rights.append((isinstance(left.op, ast.Sub), left.right))
        left = left.left
    if len(rights) == 1:
        neg, right = rights[0]
        a, b = _convert(left, text, depth + 1), _convert(right, text, depth + 1)
        return _make("sub" if neg else "add", a, b)
    terms = [_convert(left, text, depth + 1)]
    for neg, right in reversed(rights):
        term = _convert(right, text, depth + 1)
        terms.append(_make("neg", term) if neg else term)
    return _make_sum(terms)


def _condition(node: ast.AST, text: str, depth: int) -> Node:
    """``a < b``, ``a <= b``, ``a > b`` or ``a >= b`` as an internal 0/1 node ``lt``/``le``."""
    if not isinstance(node, ast.Compare) or len(node.ops) != 1:
        raise _fail(text, "the condition of where() must be one comparison: a < b, a <= b, a > b or a >= b")
    op = node.ops[0]
    a = _convert(node.left, text, depth + 1)
    b = _convert(node.comparators[0], text, depth + 1)
    if isinstance(op, ast.Lt):
        return _make("lt", a, b)
    if isinstance(op, ast.LtE):
        return _make("le", a, b)
    if isinstance(op, ast.Gt):
        return _make("lt", b, a)
    if isinstance(op, ast.GtE):
        return _make("le", b, a)
    raise _fail(text, f"comparison {type(op).__name__} is not allowed in where() (use <, <=, >, >=)")


#: Product chains longer than this are regrouped as a balanced tree (numerator / denominator).
_SHORT_PRODUCT = 16


def _balanced(op: str, nodes: Sequence[Node]) -> Node:
    if len(nodes) == 1:
        return nodes[0]
    half = len(nodes) // 2
    return _make(op, _balanced(op, nodes[:half]), _balanced(op, nodes[half:]))


def _product(node: ast.BinOp, text: str, depth: int) -> Node:
    """``a * b / c …``: left to right when short; a long chain as Π numerators / Π denominators
    built as balanced trees (depth log n), so its length is limited by the input count only."""
    rights: list[tuple[bool, ast.AST]] = []
    left: ast.AST = node
    while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Mult | ast.Div):
        rights.append((isinstance(left.op, ast.Div), left.right))
        left = left.left
    if len(rights) < 2 and depth + len(rights) > _MAX_DEPTH:
        raise _fail(text, f"nested deeper than {_MAX_DEPTH} levels")
    first = _convert(left, text, depth + 1)
    factors = [(div, _convert(right, text, depth + 1)) for div, right in reversed(rights)]
    if len(factors) <= _SHORT_PRODUCT:
        out = first
        for div, f in factors:
            out = _make("div" if div else "mul", out, f)
        return out
    num = [first] + [f for div, f in factors if not div]
    den = [f for div, f in factors if div]
    top = _balanced("mul", num)
    return _make("div", top, _balanced("mul", den)) if den else top


@lru_cache(maxsize=1024)
def parse(text: str) -> Node:
    """Parse ``text`` into a :class:`Node` tree; raise :class:`UncertaintyModelError` if not allowed.

    The result is cached, so parsing the same expression again costs a dictionary lookup.
    """
    if not isinstance(text, str):
        raise UncertaintyModelError(f"expression must be text, got {type(text).__name__}")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise _fail(text, f"longer than {MAX_EXPRESSION_CHARS} characters")
    if not text.strip():
        raise UncertaintyModelError("expression is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise _fail(text, f"syntax error ({exc.msg})") from None
    except (RecursionError, MemoryError, ValueError):
        raise _fail(text, "cannot be parsed") from None
    return _convert(tree.body, text, 0)


@lru_cache(maxsize=4096)
def symbols(node: Node) -> frozenset[str]:
    """The names of the quantities ``node`` depends on."""
    if node.op == "var":
        return frozenset((node.name,))
    out: frozenset[str] = frozenset()
    if node.op == "solve":
        return (symbols(node.args[0]) - {node.name}) | symbols(node.args[1]) | symbols(node.args[2])
    for a in node.args:
        out |= symbols(a)
    return out


def substitute(node: Node, values: Mapping[str, float]) -> Node:
    """Replace the quantities named in ``values`` by constants (and fold)."""
    if not values or symbols(node).isdisjoint(values):
        return node
    if node.op == "var":
        return _const(values[node.name]) if node.name in values else node
    if not node.args:
        return node
    if node.op == "solve":
        inner = {k: v for k, v in values.items() if k != node.name}
        g, lo, hi = (substitute(a, inner) for a in node.args)
        return solve_node(g, node.name, lo, hi)
    return _make(node.op, *(substitute(a, values) for a in node.args))


def inline(node: Node, definitions: Mapping[str, Node]) -> Node:
    """Replace the quantities named in ``definitions`` by their expression trees (shared, not
    copied: a definition used twice is one subtree of the resulting DAG)."""
    return _inline(node, definitions, {})


def _inline(n: Node, definitions: Mapping[str, Node], memo: dict[int, Node]) -> Node:
    """:func:`inline` of ``n`` (a module function, not a closure calling itself, so that no
    reference cycle is left for the garbage collector)."""
    if id(n) in memo:
        return memo[id(n)]
    if n.op == "var":
        out = definitions.get(n.name, n)
    elif not n.args:
        out = n
    elif n.op == "solve":
        inner = {k: v for k, v in definitions.items() if k != n.name}
        g, lo, hi = (inline(a, inner) for a in n.args)
        same = g is n.args[0] and lo is n.args[1] and hi is n.args[2]
        out = n if same else solve_node(g, n.name, lo, hi)
    else:
        args = [_inline(a, definitions, memo) for a in n.args]
        out = n if all(a is b for a, b in zip(args, n.args, strict=True)) else _make(n.op, *args)
    memo[id(n)] = out
    return out


# ------------------------------------------------------------------------------------ derivatives


@lru_cache(maxsize=2048)
def derivative(node: Node, name: str) -> Node:
    """The exact partial derivative ∂node/∂name as a new tree (cached).

    Subtrees are shared, so the result is a DAG; work is linear in its number of distinct nodes.
    """
    return _diff(node, name, {})


#: id(root) → (root, its support map); holding the root keeps every id in the map valid.
_SUPPORTS: dict[int, tuple[Node, dict[int, frozenset[str]]]] = {}


def _support(root: Node) -> dict[int, frozenset[str]]:
    """The names each node of ``root``'s DAG depends on, by node id. One traversal, shared by the
    derivatives in every input (kept for the last 512 roots)."""
    hit = _SUPPORTS.get(id(root))
    if hit is not None and hit[0] is root:
        return hit[1]
    out: dict[int, frozenset[str]] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    empty: frozenset[str] = frozenset()
    while stack:
        node, ready = stack.pop()
        if id(node) in out:
            continue
        if node.op == "var":
            out[id(node)] = frozenset((node.name,))
        elif not node.args:
            out[id(node)] = empty
        elif ready:
            parts = [out[id(a)] for a in node.args]
            if node.op == "solve":  # the unknown is bound inside the equation
                parts[0] = parts[0] - {node.name}
            out[id(node)] = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if id(a) not in out)
    if len(_SUPPORTS) >= 512:
        try:  # oldest first; another thread may have changed the table meanwhile
            _SUPPORTS.pop(next(iter(_SUPPORTS)), None)
        except (RuntimeError, StopIteration):
            _SUPPORTS.clear()
    _SUPPORTS[id(root)] = (root, out)
    return out


def _diff(root: Node, name: str, memo: dict[Node, Node]) -> Node:
    # Iterative post-order over the DAG (derivatives of derivatives get deep): children first.
    # Subtrees that do not depend on ``name`` are not entered (their derivative is 0).
    support = _support(root)
    if name not in support[id(root)]:
        return _ZERO
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if node in memo:
            continue
        if name not in support[id(node)]:
            memo[node] = _ZERO
        elif ready or not node.args:
            memo[node] = _diff1(node, name, memo)
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in memo)
    return memo[root]


def _diff_solve(node: Node, dg: Node) -> Node:
    """Implicit-function theorem: for Y = solve(g, Y, …), ∂Y/∂x = −(∂g/∂x)/(∂g/∂Y) at g(Y, X) = 0
    (the bracket only selects the root)."""
    if _is(dg, 0.0):
        return _ZERO
    g = node.args[0]
    at = {node.name: node}
    return _make("neg", _make("div", inline(dg, at), inline(derivative(g, node.name), at)))


def _diff1(node: Node, name: str, memo: dict[Node, Node]) -> Node:
    op, args = node.op, node.args
    if op == "const" or op in ("sign", "le", "lt"):
        return _ZERO
    if op == "var":
        return _ONE if node.name == name else _ZERO
    d = [memo[a] for a in args]
    if op == "solve":
        return _diff_solve(node, d[0])
    if all(_is(x, 0.0) for x in d):
        return _ZERO
    m = _make
    if op == "sum":
        return _make_sum(d)
    if op in ("add", "sub"):
        return m(op, d[0], d[1])
    if op == "neg":
        return m("neg", d[0])
    a = args[0]
    if op == "mul":
        return m("add", m("mul", d[0], args[1]), m("mul", a, d[1]))
    if op == "div":
        b = args[1]
        return m("div", m("sub", m("mul", d[0], b), m("mul", a, d[1])), m("mul", b, b))
    if op == "pow":
        b = args[1]
        if b.op == "const":
            return m("mul", m("mul", b, m("pow", a, _const(b.value - 1.0))), d[0])
        return m("mul", node, m("add", m("mul", d[1], m("log", a)), m("div", m("mul", b, d[0]), a)))
    if op == "sqrt":
        return m("div", d[0], m("mul", _const(2.0), node))
    if op == "exp":
        return m("mul", node, d[0])
    if op == "log":
        return m("div", d[0], a)
    if op == "log10":
        return m("div", d[0], m("mul", a, _const(math.log(10.0))))
    if op == "sin":
        return m("mul", m("cos", a), d[0])
    if op == "cos":
        return m("neg", m("mul", m("sin", a), d[0]))
    if op == "tan":
        return m("mul", m("add", _ONE, m("mul", node, node)), d[0])
    if op in ("asin", "acos"):
        g = m("div", d[0], m("sqrt", m("sub", _ONE, m("mul", a, a))))
        return g if op == "asin" else m("neg", g)
    if op == "atan":
        return m("div", d[0], m("add", _ONE, m("mul", a, a)))
    if op == "atan2":
        y, x = args
        num = m("sub", m("mul", x, d[0]), m("mul", y, d[1]))
        return m("div", num, m("add", m("mul", x, x), m("mul", y, y)))
    if op == "abs":
        return m("mul", m("sign", a), d[0])
    if op == "where":
        if all(_is(x, 0.0) for x in d[1:]):
            return _ZERO
        return m("where", args[0], d[1], d[2])
    if op == "ellipk":  # dK/dm = (E − (1 − m) K) / (2 m (1 − m))
        one_m = m("sub", _ONE, a)
        num = m("sub", m("ellipe", a), m("mul", one_m, node))
        return m("mul", m("div", num, m("mul", _const(2.0), m("mul", a, one_m))), d[0])
    if op == "ellipe":  # dE/dm = (E − K) / (2 m)
        return m("mul", m("div", m("sub", node, m("ellipk", a)), m("mul", _const(2.0), a)), d[0])
    if op in ("min", "max"):
        # 1 where the result is args[0]: args[0] ≤ args[1] for min, args[1] ≤ args[0] for max
        pick = m("le", args[0], args[1]) if op == "min" else m("le", args[1], args[0])
        return m("add", m("mul", pick, d[0]), m("mul", m("sub", _ONE, pick), d[1]))
    raise UncertaintyModelError(f"cannot differentiate {op!r}")  # pragma: no cover - allow-list


# ------------------------------------------------------------------------------------ compilation


def compile_scalar(node: Node, names: Sequence[str]) -> ScalarFn:
    """A closure evaluating ``node`` on a sequence of floats ordered as ``names``.

    Raises ``ZeroDivisionError``, ``ValueError`` (domain) or ``OverflowError`` as ``math`` does.
    """
    index = {n: i for i, n in enumerate(names)}
    fn: ScalarFn = _compile(node, index, _SCALAR)
    return fn


#: Most instructions of a tape run as generated code (larger ones are interpreted).
MAX_GENERATED = 5_000

#: The operators written out in generated tapes (same results as the lambdas of ``_SCALAR``).
_OPS: dict[Callable[..., float], str] = {
    _SCALAR["add"]: "+",
    _SCALAR["sub"]: "-",
    _SCALAR["mul"]: "*",
    _SCALAR["div"]: "/",
    _SCALAR["neg"]: "-",
}

#: Most distinct nodes in one compiled tape (a model whose derivatives grow beyond is refused).
MAX_TAPE = 200_000


class Tape:
    """Several expressions (typically f and its derivatives) evaluated together on floats.

    The expressions are flattened into one list of instructions over their distinct nodes, so a
    subexpression shared between f and its derivatives is computed once, and the cost is linear in
    the number of distinct nodes even when a derivative's tree would be exponentially large.
    """

    def __init__(self, roots: Sequence[Node], names: Sequence[str], *, ordered: bool = False) -> None:
        """``ordered``: the roots are every node once, each after its operands (no ``solve``), as
        from a topological sort; they are taken as the instructions in that order."""
        self._index = {n: i for i, n in enumerate(names)}
        self._template: list[float] = []
        self._loads: list[tuple[int, int]] = []
        self._code: list[tuple[int, Callable[..., float], int, int]] = []
        self._many: list[tuple[int, tuple[int, ...]]] = []  # n-ary sums: (slot, argument slots)
        if ordered:
            at: dict[int, int] = {}
            for node in roots:
                at[id(node)] = self._add(node, [at[id(a)] for a in node.args])
            self.outputs = list(range(len(roots)))
        else:
            self.outputs = self._flatten(roots)
        self._ops = [_OPS.get(fn) for _, fn, _, _ in self._code]
        self._calls = 0
        self._fast: Callable[[Sequence[float]], list[float]] | None = None

    def _flatten(self, roots: Sequence[Node]) -> list[int]:
        """Add the distinct nodes of ``roots`` (depth first, operands first); the roots' slots."""
        slot: dict[Node, int] = {}
        for root in roots:
            stack: list[tuple[Node, bool]] = [(root, False)]
            while stack:
                node, expanded = stack.pop()
                if node in slot:
                    continue
                if node.op in ("const", "var") or expanded:
                    slot[node] = self._add(node, [slot[a] for a in operands(node)])
                    continue
                stack.append((node, True))
                stack.extend((a, False) for a in reversed(operands(node)) if a not in slot)
        return [slot[r] for r in roots]

    def _add(self, node: Node, args: list[int]) -> int:
        """Append the instruction of ``node`` over the slots ``args``; its slot."""
        template, code, many = self._template, self._code, self._many
        k = len(template)
        template.append(node.value)
        if node.op == "var":
            if node.name not in self._index:
                raise UncertaintyModelError(f"undefined symbol {node.name!r}")
            self._loads.append((k, self._index[node.name]))
        elif node.op == "solve":
            code.append((k, _scalar_solver(node), -2 - len(many), 0))
            many.append((k, tuple(args)))
        elif node.op == "sum" or len(args) > 2:
            code.append((k, _SCALAR[node.op], -2 - len(many), 0))
            many.append((k, tuple(args)))
        elif node.op != "const":
            code.append((k, _SCALAR[node.op], args[0], args[1] if len(args) > 1 else -1))
        if len(template) > MAX_TAPE:
            raise UncertaintyModelError(
                f"model too large: its derivatives have more than {MAX_TAPE} distinct terms"
            )
        return k

    def __call__(self, x: Sequence[float]) -> list[float]:
        """Values of all roots at ``x`` (raises as ``math`` does: ZeroDivisionError, ValueError…).

        The first call interprets the instructions; from the second on, a tape of at most
        :data:`MAX_GENERATED` instructions runs as one generated straight-line function.
        """
        if self._fast is not None:
            return self._fast(x)
        self._calls += 1
        if self._calls > 1 and len(self._code) <= MAX_GENERATED:
            self._fast = self._generate()
            return self._fast(x)
        return self._interpret(x)

    def _generate(self) -> Callable[[Sequence[float]], list[float]]:
        """Straight-line Python for the tape. Its text holds only slot numbers, input positions,
        float literals (``repr``, exact) and the operators + − × ÷ (the same semantics as the
        interpreted lambdas); every other function is passed in by reference, so nothing of the
        model file's text reaches the generated source."""
        fns: list[Callable[..., float]] = []
        lines = ["def _tape(x):"]
        done: set[int] = set()
        for k, i in self._loads:
            lines.append(f" v{k} = x[{i}]")
            done.add(k)
        loaded = {k for k, _, _, _ in self._code} | done

        def ref(j: int) -> str:
            if j in loaded:
                return f"v{j}"
            c = self._template[j]
            return repr(c) if math.isfinite(c) else f"float('{c!r}')"

        for (k, fn, a, b), sym in zip(self._code, self._ops, strict=True):
            if a < -1:
                args = [ref(j) for j in self._many[-2 - a][1]]
                if fn is _scalar_sum:
                    lines.append(f" v{k} = " + " + ".join(args))
                    continue
            else:
                args = [ref(a)] if b < 0 else [ref(a), ref(b)]
            if sym is not None and len(args) == 2:
                lines.append(f" v{k} = {args[0]} {sym} {args[1]}")
            elif sym is not None and len(args) == 1:
                lines.append(f" v{k} = {sym}{args[0]}")
            else:
                lines.append(f" v{k} = F{len(fns)}({', '.join(args)})")
                fns.append(fn)
        lines.append(" return [" + ", ".join(ref(k) for k in self.outputs) + "]")
        namespace: dict[str, Any] = {f"F{i}": f for i, f in enumerate(fns)}
        exec(compile("\n".join(lines), "<jiliang tape>", "exec"), namespace)  # noqa: S102
        fast: Callable[[Sequence[float]], list[float]] = namespace["_tape"]
        return fast

    def _interpret(self, x: Sequence[float]) -> list[float]:
        v = list(self._template)
        for k, i in self._loads:
            v[k] = x[i]
        many = self._many
        for k, fn, a, b in self._code:
            if a < -1:
                v[k] = fn(*[v[j] for j in many[-2 - a][1]])
            else:
                v[k] = fn(v[a]) if b < 0 else fn(v[a], v[b])
        return [v[k] for k in self.outputs]


def compile_array(node: Node, names: Sequence[str]) -> ArrayFn:
    """A closure evaluating ``node`` on a sequence of NumPy arrays (or floats) ordered as ``names``."""
    index = {n: i for i, n in enumerate(names)}
    fn: ArrayFn = _compile(node, index, _ARRAY)
    return fn


def _scalar_solver(node: Node) -> Callable[..., float]:
    """``f(low, high, *x)``: the root in [low, high] of the equation of a ``solve`` node, by
    Brent's method (:func:`scipy.optimize.brentq`) to a few units in the last place. Raises
    ValueError when the equation does not change sign over the bracket (no root, or not one)."""
    g, _, _ = node.args
    free = [a.name for a in operands(node)[2:]]
    fn = compile_scalar(g, [node.name, *free])
    unknown = node.name

    def solve(lo: float, hi: float, *x: float) -> float:
        from scipy.optimize import brentq

        def f(t: float) -> float:
            return fn([t, *x])

        a, b = f(lo), f(hi)
        if a == 0.0 or b == 0.0:
            return lo if a == 0.0 else hi
        if not (math.isfinite(a) and math.isfinite(b)) or (a > 0) == (b > 0):
            raise ValueError(f"solve(): the equation does not change sign for {unknown} in [{lo:g}, {hi:g}]")
        tol = 1e-15 * max(abs(lo), abs(hi), 1e-300)
        root, info = brentq(f, lo, hi, xtol=tol, rtol=8.9e-16, maxiter=400, full_output=True, disp=False)
        if not info.converged:
            raise ValueError(f"solve(): no convergence for {unknown} in [{lo:g}, {hi:g}]")
        return float(root)

    return solve


def _array_solver(node: Node) -> Callable[..., Any]:
    """The Monte Carlo form of :func:`_scalar_solver`: one bracketed root per trial, vectorised
    (:func:`scipy.optimize.elementwise.find_root`, Chandrupatla's method); trials whose equation
    does not change sign over the bracket give NaN (reported as leaving the domain)."""
    g, _, _ = node.args
    free = [a.name for a in operands(node)[2:]]
    fn = compile_array(g, [node.name, *free])

    def solve(lo: Any, hi: Any, *x: Any) -> Any:
        from scipy.optimize.elementwise import find_root

        def f(t: Any, *xs: Any) -> Any:
            return fn([t, *xs])

        shape = np.broadcast_shapes(np.shape(lo), np.shape(hi), *(np.shape(v) for v in x))
        lo_a, hi_a = np.broadcast_to(lo, shape), np.broadcast_to(hi, shape)
        res = find_root(f, (lo_a, hi_a), args=tuple(np.broadcast_to(v, shape) for v in x))
        return np.where(res.success, res.x, np.nan)

    return solve


def _compile(node: Node, index: Mapping[str, int], table: Mapping[str, Callable[..., Any]]) -> Any:
    op = node.op
    if op == "const":
        value = node.value
        return lambda env: value
    if op == "var":
        if node.name not in index:
            raise UncertaintyModelError(f"undefined symbol {node.name!r}")
        i = index[node.name]
        return lambda env: env[i]
    if op == "solve":
        solver = _scalar_solver(node) if table is _SCALAR else _array_solver(node)
        ops = [_compile(a, index, table) for a in operands(node)]
        return lambda env: solver(*[p(env) for p in ops])
    fn = table[op]
    parts = [_compile(a, index, table) for a in node.args]
    if op == "sum" or len(parts) > 2:
        return lambda env: fn(*[p(env) for p in parts])
    if len(parts) == 1:
        (p,) = parts
        return lambda env: fn(p(env))
    p, q = parts
    return lambda env: fn(p(env), q(env))
