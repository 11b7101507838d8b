"""The rule expression language: ``seed`` and ``join`` rules over the criterion flags.

A rule is a small Python expression (``and``/``or``/``not``, comparisons, ``+``/``-``, integer
constants) over the names in :data:`RULE_NAMES`. :func:`compile_rule` checks it once and returns a
function of a flags frame. Kept apart from :mod:`quartiere.config` (which validates rules with it)
and :mod:`quartiere.delineate` (which applies them), so neither imports the other.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from quartiere.errors import ConfigError
from quartiere.model import CRITERIA

__all__ = [
    "RULE_NAMES",
    "compile_rule",
    "evaluate_rule",
    "names_in",
    "register_rule_name",
    "rule_names",
    "rule_values",
]

#: Names a seed or join expression may use: the built-in criteria and their count.
RULE_NAMES = (*CRITERIA, "n_criteria")

# Flags of criteria registered beyond the built-in ones (quartiere.criteria.register_criterion).
_EXTRA_NAMES: list[str] = []


def register_rule_name(name: str) -> None:
    """Let seed and join rules use the flag ``name`` (a registered criterion)."""
    if name not in RULE_NAMES and name not in _EXTRA_NAMES:
        _EXTRA_NAMES.append(name)
        _parsed.cache_clear()


def unregister_rule_name(name: str) -> None:
    """Undo :func:`register_rule_name` (tests)."""
    if name in _EXTRA_NAMES:
        _EXTRA_NAMES.remove(name)
        _parsed.cache_clear()


def rule_names() -> tuple[str, ...]:
    """Every name a rule may use: :data:`RULE_NAMES` and the registered criteria."""
    return (*RULE_NAMES, *_EXTRA_NAMES)


_COMPARE = {
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
}
_ARITH = {ast.Add: np.add, ast.Sub: np.subtract}


def _check_node(node: ast.AST, key: str, expression: str) -> None:
    def bad(what: str) -> ConfigError:
        return ConfigError(
            f"delineation.{key}: {what} in {expression!r}; allowed: "
            f"{', '.join(rule_names())}, numbers, comparisons, +, -, and/or/not"
        )

    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            if sub.id not in rule_names():
                raise bad(f"unknown name {sub.id!r}")
        elif isinstance(sub, ast.Constant):
            if isinstance(sub.value, str) or not isinstance(sub.value, int | float | bool):
                raise bad(f"constant {sub.value!r} is not a number")
        elif isinstance(sub, ast.Compare):
            for op in sub.ops:
                if type(op) not in _COMPARE:
                    raise bad(f"comparison {type(op).__name__} is not allowed")
        elif isinstance(sub, ast.BinOp):
            if type(sub.op) not in _ARITH:
                raise bad(f"operator {type(sub.op).__name__} is not allowed")
        elif not isinstance(
            sub,
            ast.Expression
            | ast.BoolOp
            | ast.And
            | ast.Or
            | ast.UnaryOp
            | ast.Not
            | ast.Load
            | ast.USub
            | ast.cmpop
            | ast.operator,
        ):
            raise bad(f"{type(sub).__name__} is not allowed")
        if isinstance(sub, ast.UnaryOp) and not isinstance(sub.op, ast.Not | ast.USub):
            raise bad(f"unary {type(sub.op).__name__} is not allowed")


def _evaluate(node: ast.AST, values: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, values, n)
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.Constant):
        return np.full(n, node.value)
    if isinstance(node, ast.BoolOp):
        parts = [_truth(_evaluate(v, values, n)) for v in node.values]
        reduce = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        return reduce.reduce(parts)
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values, n)
        return ~_truth(operand) if isinstance(node.op, ast.Not) else -operand
    if isinstance(node, ast.BinOp):
        op = _ARITH[type(node.op)]
        return op(_evaluate(node.left, values, n), _evaluate(node.right, values, n))
    # What _check_node leaves: a comparison. Chained ones (1 <= n_criteria <= 2) mean the
    # conjunction of each link.
    assert isinstance(node, ast.Compare)
    operands = [_evaluate(x, values, n) for x in (node.left, *node.comparators)]
    result = np.ones(n, dtype=bool)
    for i, link in enumerate(node.ops):
        result &= _COMPARE[type(link)](operands[i], operands[i + 1])
    return result


def _truth(values: np.ndarray) -> np.ndarray:
    return values != 0


def compile_rule(expression: str, key: str = "rule") -> Callable[[pd.DataFrame], np.ndarray]:
    """Compile a seed or join expression into a function of the planning-area frame.

    Parameters
    ----------
    expression : str
        A Python-syntax boolean expression over :data:`RULE_NAMES`, numbers, comparisons, ``+``,
        ``-``, ``and``, ``or``, ``not``; e.g. ``"n_criteria >= 2"`` or
        ``"c_mss == 1 and (c_schools == 1 or c_atlas == 1)"``. A bare name means "equals 1 / is
        non-zero". A criterion without data (``<NA>``) counts as not met (0).
    key : str
        The configuration key (``seed`` / ``join``), named in error messages.

    Returns
    -------
    callable
        ``f(frame) -> numpy bool array`` with one value per row.

    Raises
    ------
    ConfigError
        When the expression is not valid syntax or uses anything outside the whitelist.

    Examples
    --------
    >>> frame = pd.DataFrame({"c_mss": pd.array([1, 0, None], dtype="Int8"),
    ...                       "c_schools": pd.array([1, 1, 1], dtype="Int8"),
    ...                       "c_atlas": pd.array([0, 0, 1], dtype="Int8"),
    ...                       "n_criteria": [2, 1, 2]})
    >>> compile_rule("c_mss and c_schools")(frame).tolist()
    [True, False, False]
    """
    tree = _parsed(str(expression), key)

    def rule(frame: pd.DataFrame) -> np.ndarray:  # rule_values refuses missing columns
        return _truth(np.asarray(_evaluate(tree, rule_values(frame), len(frame))))

    return rule


MAX_RULE_LENGTH = 2000
"""Longest rule text accepted: a real seed or join rule is a line; longer text is refused before
Python's parser could exhaust the stack or memory on it."""


def _shown(expression: str) -> str:
    """The expression as messages quote it: at most 80 characters."""
    return repr(expression if len(expression) <= 80 else expression[:77] + "...")


@functools.lru_cache(maxsize=512)
def _parsed(expression: str, key: str) -> ast.Expression:
    """The checked syntax tree of an expression (parsed once per expression)."""
    if len(expression) > MAX_RULE_LENGTH:
        raise ConfigError(
            f"delineation.{key}: {_shown(expression)} is too long for a rule"
            f" ({len(expression)} characters; at most {MAX_RULE_LENGTH})"
        )
    try:
        tree = ast.parse(expression.strip(), mode="eval")
        _check_node(tree, key, expression)
    except SyntaxError as exc:
        raise ConfigError(
            f"delineation.{key}: {_shown(expression)} is not a valid expression ({exc.msg})"
        ) from None
    except (RecursionError, MemoryError):
        raise ConfigError(
            f"delineation.{key}: {_shown(expression)} is nested too deeply to be a rule"
        ) from None
    return tree


def names_in(expression: str, key: str = "rule") -> set[str]:
    """The rule names an expression uses.

    >>> sorted(names_in("c_mss and n_criteria >= 2"))
    ['c_mss', 'n_criteria']
    """
    tree = _parsed(str(expression), key)
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def rule_values(flags: pd.DataFrame | Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The values rules see: each of :data:`RULE_NAMES` (and of the registered criteria the flags
    hold) as floats, no data (NA, NaN) as 0.

    >>> rule_values({"c_mss": [1, None], "c_schools": [0, 1], "c_atlas": [0, 0],
    ...              "n_criteria": [1, 1]})["c_mss"].tolist()
    [1.0, 0.0]
    """
    missing = [name for name in RULE_NAMES if name not in flags]
    if missing:
        raise KeyError(f"planning areas lack column(s) {', '.join(missing)}")
    out = {}
    for name in (*RULE_NAMES, *(n for n in _EXTRA_NAMES if n in flags)):
        column = flags[name]
        # A fast path for plain numeric arrays, not a rule: the pandas path gives the same floats.
        if isinstance(column, np.ndarray) and column.dtype.kind in "fiub":  # pragma: no mutate
            out[name] = np.nan_to_num(column.astype(float))  # NaN -> 0.0
        else:
            out[name] = pd.to_numeric(pd.Series(column)).to_numpy(dtype=float, na_value=0.0)
    return out


def evaluate_rule(
    expression: str, values: Mapping[str, np.ndarray], key: str = "rule"
) -> np.ndarray:
    """A seed or join expression over :func:`rule_values` output: a bool array (cached parse).

    >>> values = {"c_mss": np.array([1.0, 0.0]), "n_criteria": np.array([2.0, 1.0])}
    >>> evaluate_rule("c_mss and n_criteria >= 2", values).tolist()
    [True, False]
    """
    n = len(next(iter(values.values())))
    return _truth(np.asarray(_evaluate(_parsed(str(expression), key), values, n)))
