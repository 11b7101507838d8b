"""The rule expression language (quartiere.rules): every operator, the whitelist and its messages.

Each test checks values that differ between the rule and its plausible variants: operators that
differ at the boundary value, three-operand and/or, chained comparisons, non-zero truth, no data as
0, and the exact error text a planner sees.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quartiere.errors import ConfigError
from quartiere.rules import (
    RULE_NAMES,
    compile_rule,
    evaluate_rule,
    register_rule_name,
    rule_names,
    rule_values,
    unregister_rule_name,
)

ALLOWED = "c_mss, c_schools, c_atlas, n_criteria, numbers, comparisons, +, -, and/or/not"


def flags(**columns: list) -> pd.DataFrame:
    """A flags frame with the built-in names (0 unless given)."""
    n = len(next(iter(columns.values())))
    frame = {name: [0] * n for name in RULE_NAMES}
    frame.update(columns)
    return pd.DataFrame(frame)


def values(**columns: list) -> dict[str, np.ndarray]:
    return {name: np.asarray(col, dtype=float) for name, col in columns.items()}


def test_the_names_a_rule_may_use():
    assert RULE_NAMES == ("c_mss", "c_schools", "c_atlas", "n_criteria")
    assert rule_names() == RULE_NAMES


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("n_criteria == 2", [False, False, True, False]),
        ("n_criteria != 2", [True, True, False, True]),
        ("n_criteria < 2", [True, True, False, False]),
        ("n_criteria <= 2", [True, True, True, False]),
        ("n_criteria > 2", [False, False, False, True]),
        ("n_criteria >= 2", [False, False, True, True]),
        ("1 <= n_criteria <= 2", [False, True, True, False]),
        ("0 < n_criteria < 3 != n_criteria", [False, True, True, False]),
        ("n_criteria + 1 == 3", [False, False, True, False]),
        ("n_criteria - 1 == 1", [False, False, True, False]),
        ("n_criteria - 1 - 1 == 0", [False, False, True, False]),
        ("-n_criteria == -3", [False, False, False, True]),
        ("n_criteria", [False, True, True, True]),
        ("not n_criteria", [True, False, False, False]),
        ("not n_criteria >= 2", [True, True, False, False]),
        ("1", [True, True, True, True]),
        ("0", [False, False, False, False]),
        ("True", [True, True, True, True]),
        ("n_criteria >= 1.5", [False, False, True, True]),
    ],
)
def test_each_operator_on_values_that_tell_it_from_its_neighbours(expression, expected):
    frame = flags(n_criteria=[0, 1, 2, 3])
    result = compile_rule(expression)(frame)
    assert result.dtype == bool
    assert result.tolist() == expected
    assert evaluate_rule(expression, rule_values(frame)).tolist() == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (
            "c_mss and c_schools and c_atlas",
            [False, False, False, False, False, False, False, True],
        ),
        ("c_mss or c_schools or c_atlas", [False, True, True, True, True, True, True, True]),
        ("c_mss and c_schools or c_atlas", [False, True, False, True, False, True, True, True]),
        ("c_mss and (c_schools or c_atlas)", [False, False, False, False, False, True, True, True]),
        ("not c_mss and c_atlas", [False, True, False, True, False, False, False, False]),
    ],
)
def test_and_or_not_over_three_flags(expression, expected):
    # the eight combinations of (c_mss, c_schools, c_atlas), c_atlas the lowest bit
    combos = [(m, s, a) for m in (0, 1) for s in (0, 1) for a in (0, 1)]
    frame = flags(
        c_mss=[c[0] for c in combos],
        c_schools=[c[1] for c in combos],
        c_atlas=[c[2] for c in combos],
    )
    assert compile_rule(expression)(frame).tolist() == expected


def test_a_bare_name_means_non_zero_and_no_data_counts_as_not_met():
    frame = flags(
        c_mss=pd.array([2, -1, 0, None], dtype="Int8"),
        c_schools=pd.array([None, 1, 1, 1], dtype="Int8"),
    )
    assert compile_rule("c_mss")(frame).tolist() == [True, True, False, False]
    assert compile_rule("not c_schools")(frame).tolist() == [True, False, False, False]
    assert compile_rule("c_mss or c_schools")(frame).tolist() == [True, True, True, True]
    assert compile_rule("c_mss and c_schools")(frame).tolist() == [False, True, False, False]
    assert compile_rule("c_mss + c_schools")(frame).tolist() == [True, False, True, True]
    assert compile_rule("c_mss - c_schools == 1")(frame).tolist() == [False, False, False, False]
    assert compile_rule("c_mss - c_schools == -2")(frame).tolist() == [False, True, False, False]


def test_constants_and_or_keep_one_value_per_row():
    frame = flags(c_mss=[1, 0, 1])
    assert compile_rule("c_mss and 1")(frame).tolist() == [True, False, True]
    assert compile_rule("c_mss or 0")(frame).tolist() == [True, False, True]
    assert compile_rule("0 or 0 or c_mss")(frame).tolist() == [True, False, True]
    assert compile_rule("2 - 1")(frame).tolist() == [True, True, True]
    assert compile_rule("1 - 1")(frame).tolist() == [False, False, False]


def test_surrounding_blanks_are_ignored():
    frame = flags(c_atlas=[1, 0])
    assert compile_rule("  c_atlas == 1\n")(frame).tolist() == [True, False]


def test_a_frame_without_a_rule_name_is_refused_by_name():
    rule = compile_rule("c_mss")
    frame = pd.DataFrame({"c_mss": [1], "c_atlas": [0]})
    with pytest.raises(KeyError) as info:
        rule(frame)
    assert info.value.args[0] == "planning areas lack column(s) c_schools, n_criteria"
    with pytest.raises(KeyError) as info:
        rule_values({"c_mss": [1], "c_schools": [1]})
    assert info.value.args[0] == "planning areas lack column(s) c_atlas, n_criteria"


@pytest.mark.parametrize(
    ("expression", "what"),
    [
        ("c_foo == 1", "unknown name 'c_foo'"),
        ("c_mss == 'a'", "constant 'a' is not a number"),
        ("c_mss == None", "constant None is not a number"),
        ("c_mss is 1", "comparison Is is not allowed"),
        ("c_mss in 1", "comparison In is not allowed"),
        ("c_mss * 2", "operator Mult is not allowed"),
        ("c_mss // 2", "operator FloorDiv is not allowed"),
        ("abs(c_mss)", "Call is not allowed"),
        ("c_mss.real", "Attribute is not allowed"),
        ("+c_mss", "unary UAdd is not allowed"),
        ("~c_mss", "unary Invert is not allowed"),
        ("c_mss if c_atlas else c_schools", "IfExp is not allowed"),
    ],
)
def test_anything_outside_the_whitelist_is_refused_with_what_and_where(expression, what):
    with pytest.raises(ConfigError) as info:
        compile_rule(expression, key="join")
    assert str(info.value) == f"delineation.join: {what} in {expression!r}; allowed: {ALLOWED}"


def test_the_key_named_in_messages_defaults_to_rule():
    with pytest.raises(ConfigError) as info:
        compile_rule("c_foo")
    assert str(info.value).startswith("delineation.rule: unknown name 'c_foo' in 'c_foo'")
    with pytest.raises(ConfigError) as info:
        evaluate_rule("c_foo", values(c_mss=[1]))
    assert str(info.value).startswith("delineation.rule: unknown name 'c_foo' in 'c_foo'")


def test_invalid_syntax_names_the_key_and_the_parser_message():
    with pytest.raises(ConfigError) as info:
        compile_rule("c_mss >", key="seed")
    expected = "delineation.seed: 'c_mss >' is not a valid expression (invalid syntax)"
    assert str(info.value) == expected
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_numbers_of_every_kind_are_constants():
    frame = flags(n_criteria=[1, 2])
    assert compile_rule("n_criteria > 1.0")(frame).tolist() == [False, True]
    assert compile_rule("n_criteria > False")(frame).tolist() == [True, True]


def test_a_registered_name_may_be_used_until_it_is_unregistered():
    with pytest.raises(ConfigError):
        compile_rule("c_toy_rules == 1")  # parsed, refused (and the refusal is not cached)
    register_rule_name("c_toy_rules")
    try:
        register_rule_name("c_toy_rules")  # once only
        register_rule_name("c_mss")  # built-in names are not extra
        assert rule_names() == (*RULE_NAMES, "c_toy_rules")
        frame = flags(c_mss=[1, 1, 0])
        frame["c_toy_rules"] = pd.array([1, None, 1], dtype="Int8")
        assert compile_rule("c_toy_rules == 1")(frame).tolist() == [True, False, True]
        assert compile_rule("c_toy_rules and c_mss")(frame).tolist() == [True, False, False]
        assert rule_values(frame)["c_toy_rules"].tolist() == [1.0, 0.0, 1.0]
        # a flags frame without the registered name still gives the built-in values
        assert "c_toy_rules" not in rule_values(flags(c_mss=[1]))
        with pytest.raises(ConfigError) as info:
            compile_rule("c_foo")
        assert f"allowed: {ALLOWED.replace('n_criteria', 'n_criteria, c_toy_rules')}" in str(
            info.value
        )
    finally:
        unregister_rule_name("c_toy_rules")
        unregister_rule_name("c_toy_rules")  # twice is harmless
    assert rule_names() == RULE_NAMES
    with pytest.raises(ConfigError):
        compile_rule("c_toy_rules == 1")  # the parse cached while registered is dropped


def test_rule_values_are_floats_with_no_data_as_zero():
    out = rule_values(
        {
            "c_mss": np.array([1.0, np.nan, 0.0]),
            "c_schools": np.array([1, 0, 1], dtype=np.int8),
            "c_atlas": pd.array([None, 1, 0], dtype="Int8"),
            "n_criteria": [2, None, 1],
        }
    )
    assert list(out) == list(RULE_NAMES)
    for name, expected in {
        "c_mss": [1.0, 0.0, 0.0],
        "c_schools": [1.0, 0.0, 1.0],
        "c_atlas": [0.0, 1.0, 0.0],
        "n_criteria": [2.0, 0.0, 1.0],
    }.items():
        assert out[name].dtype == np.float64, name
        assert out[name].tolist() == expected, name


def test_rule_values_of_a_bool_array_and_of_strings_of_digits():
    out = rule_values(
        {
            "c_mss": np.array([True, False]),
            "c_schools": np.array(["1", "0"], dtype=object),
            "c_atlas": pd.Series([1, None], dtype="Float64"),
            "n_criteria": np.array([2, 0], dtype=np.uint8),
        }
    )
    assert out["c_mss"].tolist() == [1.0, 0.0]
    assert out["c_schools"].tolist() == [1.0, 0.0]
    assert out["c_atlas"].tolist() == [1.0, 0.0]
    assert out["n_criteria"].tolist() == [2.0, 0.0]
    # an object array holding pandas' NA goes through pandas, not numpy's float cast
    with_na = rule_values(
        {
            "c_mss": np.array([1, pd.NA], dtype=object),
            "c_schools": np.zeros(2),
            "c_atlas": np.zeros(2),
            "n_criteria": np.ones(2),
        }
    )
    assert with_na["c_mss"].tolist() == [1.0, 0.0]


def test_evaluate_rule_takes_the_row_count_from_the_values():
    vals = values(c_mss=[1, 0, 1], n_criteria=[2, 2, 0])
    assert evaluate_rule("1", vals).tolist() == [True, True, True]
    assert evaluate_rule("c_mss and n_criteria >= 2", vals).tolist() == [True, False, False]
    assert evaluate_rule("n_criteria - c_mss", vals).tolist() == [True, True, True]
    assert evaluate_rule("n_criteria - c_mss - 1", vals).tolist() == [False, True, True]


def test_names_in_an_expression():
    from quartiere.rules import names_in

    assert names_in("c_mss and n_criteria >= 2 or not c_mss") == {"c_mss", "n_criteria"}
    assert names_in("1") == set()
    with pytest.raises(ConfigError) as info:
        names_in("c_foo")
    assert str(info.value).startswith("delineation.rule: unknown name 'c_foo'")
    with pytest.raises(ConfigError) as info:
        names_in("c_foo", key="join")
    assert str(info.value).startswith("delineation.join: unknown name 'c_foo'")


def test_rule_values_are_float64_with_no_data_as_zero_from_every_column_type():
    values = rule_values(
        {
            "c_mss": pd.array([1, None], dtype="Int8"),
            "c_schools": [None, 1],
            "c_atlas": pd.Series([1.0, np.nan]),
            "n_criteria": np.array([1, 2], dtype=np.int8),
        }
    )
    assert {name: v.dtype for name, v in values.items()} == dict.fromkeys(values, np.float64)
    assert {name: v.tolist() for name, v in values.items()} == {
        "c_mss": [1.0, 0.0],
        "c_schools": [0.0, 1.0],
        "c_atlas": [1.0, 0.0],
        "n_criteria": [1.0, 2.0],
    }
    # whole numbers without no data, in a list or a nullable column: floats all the same
    plain = rule_values(
        {
            "c_mss": [1, 0],
            "c_schools": pd.array([0, 1], dtype="Int8"),
            "c_atlas": pd.Series([1, 1]),
            "n_criteria": [2, 1],
        }
    )
    assert {name: v.dtype for name, v in plain.items()} == dict.fromkeys(plain, np.float64)
    assert plain["c_schools"].tolist() == [0.0, 1.0]
