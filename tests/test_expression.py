"""The whitelisted formula evaluator: formulas compute what numpy computes, and nothing else gets through.

Accepted formulas are compared with the same formula written directly in numpy; hostile ones must be
refused with a specific message (and, where it matters, the column of the offending piece).
"""

from __future__ import annotations

import ast
import pickle
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scenespec.expression import (
    CONSTANTS,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    Expression,
    ExpressionError,
    compile_expression,
)

# A grid with negative, zero and positive values and different sizes along each axis, so that a
# transposed or mis-broadcast result cannot pass.
X, Y = np.meshgrid(np.linspace(-2.0, 2.0, 7), np.linspace(-1.5, 2.5, 5))

Reference = Callable[[np.ndarray, np.ndarray], np.ndarray]

ACCEPTED: list[tuple[str, Reference]] = [
    ("x**2/20 + y**2", lambda x, y: x**2 / 20 + y**2),
    ("(1 - x)**2 + 100*(y - x**2)**2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
    (
        "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
        lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2,
    ),
    ("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2),
    ("x**2 - y**2", lambda x, y: x**2 - y**2),
    ("sin(x)*cos(y) + exp(-(x**2+y**2)/10)", lambda x, y: np.sin(x) * np.cos(y) + np.exp(-(x**2 + y**2) / 10)),
    ("sqrt(abs(x)) + log1p(y**2)", lambda x, y: np.sqrt(np.abs(x)) + np.log1p(y**2)),
    ("-x", lambda x, y: -x),
    ("+x - -y", lambda x, y: x + y),
    ("2 ** -x", lambda x, y: 2.0**-x),
    ("pi * x", lambda x, y: np.pi * x),
    ("e ** y", lambda x, y: np.e**y),
    ("3", lambda x, y: np.full_like(x, 3.0)),
    ("2*pi", lambda x, y: np.full_like(x, 2 * np.pi)),
    ("arctan2(y, x)", lambda x, y: np.arctan2(y, x)),
    ("atan2(y, x) - arctan(y/x)", lambda x, y: np.arctan2(y, x) - np.arctan(y / x)),
    ("minimum(x, y)", lambda x, y: np.minimum(x, y)),
    ("maximum(x, y) + hypot(x, y)", lambda x, y: np.maximum(x, y) + np.hypot(x, y)),
    ("x % 1.5 + x // 0.5", lambda x, y: x % 1.5 + x // 0.5),
    ("-x**2", lambda x, y: -(x**2)),  # ** binds tighter than unary minus, as in Python
    ("2**3**2 * x", lambda x, y: 512.0 * x),  # ** is right-associative
    ("x - y - 1", lambda x, y: (x - y) - 1),
    ("0x10 + 1_000 + 1e-3 * y", lambda x, y: 16 + 1000 + 1e-3 * y),
    ("(x +\n y)  # multi-line in parentheses, with a comment", lambda x, y: x + y),
    ("  x*y  ", lambda x, y: x * y),
]


@pytest.mark.parametrize(("text", "reference"), ACCEPTED, ids=[text for text, _ in ACCEPTED])
def test_accepted_formula_matches_numpy(text: str, reference: Reference) -> None:
    result = compile_expression(text)(x=X, y=Y)
    assert isinstance(result, np.ndarray)
    assert result.dtype == np.float64
    assert result.shape == X.shape
    with np.errstate(all="ignore"):  # y/x at x = 0
        expected = reference(X, Y)
    np.testing.assert_allclose(result, expected, rtol=1e-13, atol=0)


def test_one_variable() -> None:
    cubic = compile_expression("x**3 - 2*x", variables=("x",))
    x = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(cubic(x=x), x**3 - 2 * x, rtol=1e-13)
    with pytest.raises(ExpressionError, match="unknown name 'y'; the variables are x;"):
        compile_expression("x + y", variables=("x",))


def test_no_variables() -> None:
    assert compile_expression("2 * pi", ())() == pytest.approx(2 * np.pi)
    with pytest.raises(ExpressionError, match="unknown name 'x'; there are no variables"):
        compile_expression("x", ())


def test_constant_is_broadcast_to_the_values_shape() -> None:
    result = compile_expression("3")(x=np.zeros((4, 5)), y=0.0)
    assert result.shape == (4, 5)
    assert result.dtype == np.float64
    assert np.all(result == 3.0)


def test_result_takes_the_broadcast_shape_of_all_values() -> None:
    # The formula only uses x, but y's shape still counts.
    result = compile_expression("x + 1")(x=np.arange(4.0)[:, None], y=np.zeros((1, 3)))
    np.testing.assert_array_equal(result, np.repeat(np.arange(1.0, 5.0)[:, None], 3, axis=1))


def test_scalars_and_ints_give_float64_arrays() -> None:
    result = compile_expression("x / y")(x=1, y=4)
    assert isinstance(result, np.ndarray)
    assert result.shape == ()
    assert result.dtype == np.float64
    assert float(result) == 0.25
    np.testing.assert_array_equal(compile_expression("x / 2")(x=np.arange(3), y=0), [0.0, 0.5, 1.0])


def test_result_is_a_copy_not_the_callers_array() -> None:
    x = np.arange(3.0)
    result = compile_expression("x")(x=x, y=0.0)
    result[0] = 99.0
    assert x[0] == 0.0


def test_nan_and_inf_at_run_time_are_silent() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = compile_expression("log(x) + 1/y")(x=np.array([-1.0, 1.0]), y=np.array([1.0, 0.0]))
    assert np.isnan(result[0])
    assert result[1] == np.inf


def test_ints_are_floats_so_no_big_int_arithmetic() -> None:
    # 2**1023 is the largest power of two a float holds; Python ints would hold 2**1024 too, floats do not.
    assert compile_expression("2**1023 + 0*x")(x=0.0, y=0.0) == 2.0**1023
    with pytest.raises(ExpressionError, match="too large for a 64-bit float"):
        compile_expression("2**1024")
    with pytest.raises(ExpressionError, match="too large for a 64-bit float"):
        compile_expression("1" + "0" * 400)  # an int literal beyond float range


def test_missing_or_extra_variable_is_a_type_error() -> None:
    formula = compile_expression("x + y")
    with pytest.raises(TypeError, match="needs a value for variable 'y'"):
        formula(x=1.0)
    with pytest.raises(TypeError, match="unexpected variable 'z'"):
        formula(x=1.0, y=2.0, z=3.0)


# (formula, a substring the message must contain)
HOSTILE: list[tuple[str, str]] = [
    ("__import__('os').system('ls')", "attribute access is not allowed"),
    ("x.__class__", "attribute access is not allowed ('x.__class__'); formulas use only numbers, the variables x, y"),
    ("().__class__.__bases__[0]", "indexing is not allowed"),
    ("np.sin(x)", "attribute access is not allowed ('np.sin'); use the bare function name: sin(...)"),
    ("math.pi * x", "use the bare name: pi"),
    ("x[0]", "indexing is not allowed ('x[0]')"),
    ("lambda: 1", "lambda is not allowed"),
    ("[i for i in range(3)]", "comprehensions are not allowed"),
    ("(i for i in x)", "generator expressions are not allowed"),
    ("open('f')", "unknown function 'open'; the functions are abs, "),
    ("eval('1')", "unknown function 'eval'"),
    ("exec('1')", "unknown function 'exec'"),
    ("getattr(x, 'y')", "unknown function 'getattr'"),
    ("9**9**9", "'9**9**9' is too large for a 64-bit float"),
    ("10**400", "'10**400' is too large for a 64-bit float"),
    ("x + 10.0**400", "'10.0**400' is too large for a 64-bit float"),
    ("1e308 * 10", "'1e308 * 10' is too large"),
    ("exp(1000)", "'exp(1000)' is too large"),
    ("1e999", "the number '1e999' is too large"),
    ("1/0", "'1/0' divides by zero"),
    ("x / 0", "'x / 0' divides by zero"),
    ("1 % 0", "'1 % 0' divides by zero"),
    ("0**-1", "'0**-1' divides by zero"),
    ("log(0)", "'log(0)' is infinite"),
    ("sqrt(-1)", "'sqrt(-1)' is undefined (not a number)"),
    ("'a'*10", "strings are not allowed"),
    ("b'a'", "strings are not allowed"),
    ("f'{x}'", "strings are not allowed"),
    ("x if y else 1", "conditional expressions are not supported"),
    ("x < y", "comparisons are not supported ('x < y'); use minimum, maximum"),
    ("x is 1", "comparisons are not supported"),
    ("x and y", "comparisons and logic (and, or, not) are not supported"),
    ("not x", "comparisons and logic (and, or, not) are not supported"),
    ("(z := 1)", "assignment (:=) is not allowed"),
    ("x; y", "a formula is a single expression; it cannot be several joined by ';'"),
    ("x;", "a formula is a single expression; remove the ';'"),
    ("(-8)**(1/3)", "is undefined (not a number): a negative number to a fractional power"),
    ("x\n+ y", "wrap one that spans lines in parentheses"),
    ("import os", "a formula is a single expression; 'import os' is an import"),
    ("x = 1", "a formula is a single expression; 'x = 1' is an assignment"),
    ("sin(x=1)", "keyword arguments are not allowed ('x=1'); pass values by position, as in sin(x)"),
    ("sin(**x)", "unpacking with ** is not allowed"),
    ("sin(*x)", "unpacking with * is not allowed ('*x')"),
    ("sin(x, y)", "sin takes 1 argument, got 2"),
    ("arctan2(y)", "arctan2 takes 2 arguments, got 1"),
    ("sinus(x)", "unknown function 'sinus'; the functions are abs, "),
    ("sinus(x)", "; did you mean 'sin'?"),
    ("max(x, y)", "; did you mean 'maximum'?"),
    ("sin(x)(y)", "only named functions can be called"),
    ("x(1 + y)", "'x' is a variable, not a function ('x(1 + y)'); write x*(...) to multiply"),
    ("pi(2)", "'pi' is a constant, not a function"),
    ("sin + x", "'sin' is a function: call it, as in sin(x)"),
    ("z + 1", "unknown name 'z'; the variables are x, y; the constants are pi, e"),
    ("True + x", "booleans are not numbers here ('True'); write 1 or 0"),
    ("1j * x", "complex numbers are not supported ('1j')"),
    ("None", "'None' is not a number"),
    ("...", "'...' is not a number"),
    ("x, y", "tuples are not allowed"),
    ("[x]", "lists are not allowed"),
    ("{x}", "sets are not allowed"),
    ("{x: 1}", "dicts are not allowed"),
    ("x ^ 2", "operator '^' is not supported ('x ^ 2'); use ** for powers"),
    ("x @ y", "operator '@' is not supported"),
    ("~x", "operator '~' is not supported"),
    ("2x", "invalid decimal literal; write 2*x, not 2x"),
    ("x +", "the formula ends too early"),
    ("x + (", "cannot parse the formula: '(' was never closed (column 5)"),
    ("(" * 2000, f"the formula is too long (2000 characters; at most {MAX_LENGTH})"),
    ("-(" * 60 + "x" + ")" * 60, f"nested too deeply (more than {MAX_DEPTH} levels)"),
    ("(" * 60 + "x" + ")" * 60, f"nested too deeply (more than {MAX_DEPTH} levels)"),
    ("(" * 201 + "x" + ")" * 201, "nested too deeply"),  # beyond the parser's own limit
    ("-" * 999 + "x", "nested too deeply"),
    ("", "the formula is empty"),
    ("   \t", "the formula is empty"),
    ("# just a comment", "the formula is empty"),
    ("x\0", "null character"),
]


@pytest.mark.parametrize(("text", "expected"), HOSTILE, ids=[text[:24] for text, _ in HOSTILE])
def test_hostile_formula_is_rejected(text: str, expected: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(text)
    message = str(info.value)
    assert expected in message
    assert not message[:1].isupper(), "messages start in lower case"
    assert not message.endswith("."), "messages have no trailing period"


@pytest.mark.parametrize(
    ("text", "variables", "column"),
    [
        ("x + y.real", ("x", "y"), 5),
        ("  x + y.real", ("x", "y"), 7),  # leading blanks are kept in the count
        ("α + y.real", ("α", "y"), 5),  # characters, not UTF-8 bytes
        ("(x +\n y.real)", ("x", "y"), 7),  # counted through the line break
        ("sin(x) + cos(x, y)", ("x", "y"), 10),
        ("1 + sin(x=1)", ("x", "y"), 9),
        ("x + 9**9**9", ("x", "y"), 5),
        ("x + * y", ("x", "y"), 5),
        ("x; y", ("x", "y"), 2),
        ("x +", ("x", "y"), 4),
        ("x\0", ("x", "y"), 2),
        ("(" * 51 + "x" + ")" * 51, ("x", "y"), 51),
    ],
)
def test_error_column_points_at_the_problem(text: str, variables: tuple[str, ...], column: int) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(text, variables)
    assert info.value.column == column


def test_length_limit_boundary() -> None:
    at_limit = "x" + " " * (MAX_LENGTH - 1)
    assert len(at_limit) == MAX_LENGTH
    assert compile_expression(at_limit)(x=2.0, y=0.0) == 2.0
    with pytest.raises(ExpressionError, match="too long") as info:
        compile_expression(at_limit + " ")
    assert info.value.column is None


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda n: "-(" * (n - 1) + "x" + ")" * (n - 1), "operators"),  # n levels of AST: n - 1 minus signs, x
        (lambda n: "(" * n + "x" + ")" * n, "parentheses"),
        (lambda n: " + ".join(["x"] * n), "a chain"),  # a sum of n terms is n levels deep: documented
    ],
)
def test_depth_limit_boundary(make: Callable[[int], str], kind: str) -> None:
    assert compile_expression(make(MAX_DEPTH))(x=1.0, y=0.0) in (1.0, -1.0, float(MAX_DEPTH))
    with pytest.raises(ExpressionError, match="nested too deeply"):
        compile_expression(make(MAX_DEPTH + 1))


def test_parser_warnings_do_not_escape() -> None:
    # `x is 1` makes Python warn (SyntaxWarning); with warnings as errors that must not change the outcome.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ExpressionError, match="comparisons are not supported"):
            compile_expression("x is 1")


def test_functions_table() -> None:
    required = {
        "sin": 1, "cos": 1, "tan": 1, "arcsin": 1, "arccos": 1, "arctan": 1, "arctan2": 2, "sinh": 1, "cosh": 1,
        "tanh": 1, "exp": 1, "expm1": 1, "log": 1, "log1p": 1, "log2": 1, "log10": 1, "sqrt": 1, "cbrt": 1,
        "abs": 1, "square": 1, "sign": 1, "floor": 1, "ceil": 1, "minimum": 2, "maximum": 2, "hypot": 2,
    }  # fmt: skip
    assert {name: FUNCTIONS[name][1] for name in required} == required
    for function, arity in FUNCTIONS.values():
        assert isinstance(function, np.ufunc)
        assert function.nin == arity
    assert dict(CONSTANTS) == {"pi": np.pi, "e": np.e}
    with pytest.raises(TypeError):
        FUNCTIONS["eval"] = (eval, 1)  # type: ignore[index]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_function_evaluates_as_its_ufunc(name: str) -> None:
    function, arity = FUNCTIONS[name]
    # Inside every function's domain: log needs x > 0, arcsin and arctanh |x| < 1, arccosh x >= 1.
    x = np.linspace(1.1, 3.0, 5) if name == "arccosh" else np.linspace(0.1, 0.9, 5)
    y = np.linspace(1.5, -3.5, 5)
    args = "x" if arity == 1 else "x, y"
    expected = function(x) if arity == 1 else function(x, y)
    assert np.all(np.isfinite(expected))
    np.testing.assert_array_equal(compile_expression(f"{name}({args})")(x=x, y=y), expected)


def test_variable_names_are_checked() -> None:
    for bad in [("x", "x"), ("pi",), ("sin",), ("1a",), ("lambda",)]:
        with pytest.raises(ValueError, match="variable name"):
            compile_expression("1", bad)
    with pytest.raises(TypeError, match="not a string"):
        compile_expression("x", "xy")
    with pytest.raises(TypeError, match="a formula is a string"):
        compile_expression(3)  # type: ignore[arg-type]


def test_expression_is_a_checked_value() -> None:
    formula = Expression("x * y", ("x", "y"))
    assert formula == compile_expression("x * y")
    assert hash(formula) == hash(compile_expression("x * y"))
    assert formula.variables == ("x", "y")
    assert repr(formula) == "Expression(text='x * y', variables=('x', 'y'))"
    restored = pickle.loads(pickle.dumps(formula))
    assert restored == formula
    assert restored(x=3.0, y=4.0) == 12.0
    with pytest.raises(ExpressionError, match="attribute access"):
        Expression("x.real", ("x",))  # constructing directly checks too


def test_the_evaluator_never_calls_eval_exec_or_compile() -> None:
    source = Path(__file__).resolve().parents[1] / "scenespec" / "expression.py"
    forbidden = {"eval", "exec", "compile", "__import__"}
    calls = [
        node.func.id
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in forbidden
    ]
    assert calls == []


# Property test: random formulas from the grammar, printed as text and, independently, evaluated by a
# tiny numpy interpreter of the same tree. Both must agree bit for bit (same ufuncs, same order).
_GRID_X = np.linspace(-3.0, 3.0, 7)[:, None]
_GRID_Y = np.linspace(-2.0, 2.0, 5)[None, :]
_BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "**": np.power, "%": np.remainder}
_CALLS = {"sin": np.sin, "exp": np.exp, "sqrt": np.sqrt, "log1p": np.log1p, "abs": np.absolute, "arctan2": np.arctan2}

Tree = tuple


def _leaves() -> st.SearchStrategy[Tree]:
    names = st.sampled_from(["x", "y", "pi"]).map(lambda name: ("name", name))
    numbers = st.one_of(st.integers(0, 9), st.floats(0.1, 10.0).map(lambda v: round(v, 3))).map(lambda v: ("num", v))
    return names | numbers


def _extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
    binary = st.tuples(st.just("bin"), st.sampled_from(sorted(_BINARY)), children, children)
    unary = st.tuples(st.just("neg"), children)
    calls = st.sampled_from(sorted(_CALLS)).flatmap(
        lambda name: (
            st.tuples(st.just("call"), st.just(name), st.lists(children, min_size=2, max_size=2))
            if name == "arctan2"
            else st.tuples(st.just("call"), st.just(name), st.lists(children, min_size=1, max_size=1))
        )
    )
    return binary | unary | calls


def _text(tree: Tree) -> str:
    kind = tree[0]
    if kind == "name":
        return tree[1]
    if kind == "num":
        return repr(tree[1])
    if kind == "neg":
        return f"(-{_text(tree[1])})"
    if kind == "bin":
        return f"({_text(tree[2])} {tree[1]} {_text(tree[3])})"
    return f"{tree[1]}({', '.join(_text(arg) for arg in tree[2])})"


def _reference(tree: Tree) -> np.ndarray | np.float64:
    kind = tree[0]
    if kind == "name":
        return {"x": _GRID_X, "y": _GRID_Y, "pi": np.float64(np.pi)}[tree[1]]
    if kind == "num":
        return np.float64(tree[1])
    if kind == "neg":
        return np.negative(_reference(tree[1]))
    if kind == "bin":
        return _BINARY[tree[1]](_reference(tree[2]), _reference(tree[3]))
    return _CALLS[tree[1]](*(_reference(arg) for arg in tree[2]))


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(st.recursive(_leaves(), _extend, max_leaves=12))
def test_random_formulas_match_a_reference_interpreter(tree: Tree) -> None:
    text = _text(tree)
    try:
        formula = compile_expression(text)
    except ExpressionError as exc:
        # Only constant pieces that fold to inf or nan (or a literal division by zero), and a variable part raised to
        # a constant exponent over 1000 in size, may be refused.
        reasons = ("divides by zero", "too large", "undefined", "infinite", "exponent of a variable part is at most")
        assert any(reason in str(exc) for reason in reasons), text
        assume(False)
        return
    with np.errstate(all="ignore"):
        expected = np.broadcast_to(_reference(tree), (7, 5))
    np.testing.assert_array_equal(formula(x=_GRID_X, y=_GRID_Y), expected, err_msg=text)
