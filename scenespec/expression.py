"""Whitelisted formulas: specs can carry arithmetic such as `(1 - x)**2 + 100*(y - x**2)**2`, never Python.

Specs are shared between projects and people, so a formula must not be able to do anything but compute
numbers. The text is parsed with `ast.parse(mode="eval")` (after a length check: deep input can crash the
parser), every node is checked against a small whitelist, and the checked tree is turned into numpy
closures. Nothing the user wrote is ever passed to eval, exec or compile. Sub-expressions made only of
constants are folded at compile time, so `9**9**9` or `1/0` is rejected up front instead of hanging or
silently producing inf. See docs/expressions.md for the user-facing description.
"""

from __future__ import annotations

import ast
import io
import keyword
import math
import operator
import re
import tokenize
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from scenespec.errors import did_you_mean

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "Expression",
    "ExpressionError",
    "compile_expression",
]

MAX_LENGTH = 1000
"""Longest formula in characters; checked before parsing because deeply nested input can crash the parser."""

MAX_DEPTH = 50
"""Deepest nesting allowed: of operators and calls (AST depth) and, separately, of parentheses."""

MAX_EXPONENT = 1000
"""Largest constant exponent (in size) of a variable part, `x**1000`: beyond, powers are inf or 0 wherever |x| is
not about 1, never what a formula means. Constant parts are folded instead (and refused if they overflow)."""

_UFUNCS: dict[str, np.ufunc] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "arcsin": np.arcsin,
    "arccos": np.arccos,
    "arctan": np.arctan,
    "arctan2": np.arctan2,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "atan2": np.arctan2,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "arcsinh": np.arcsinh,
    "arccosh": np.arccosh,
    "arctanh": np.arctanh,
    "exp": np.exp,
    "expm1": np.expm1,
    "log": np.log,
    "log1p": np.log1p,
    "log2": np.log2,
    "log10": np.log10,
    "sqrt": np.sqrt,
    "cbrt": np.cbrt,
    "abs": np.absolute,
    "square": np.square,
    "sign": np.sign,
    "floor": np.floor,
    "ceil": np.ceil,
    "minimum": np.minimum,
    "maximum": np.maximum,
    "hypot": np.hypot,
}

FUNCTIONS: Mapping[str, tuple[np.ufunc, int]] = MappingProxyType(
    {name: (ufunc, ufunc.nin) for name, ufunc in _UFUNCS.items()}
)
"""The functions a formula may call: name -> (numpy ufunc, number of positional arguments)."""

CONSTANTS: Mapping[str, float] = MappingProxyType({"pi": math.pi, "e": math.e})
"""Named constants a formula may use."""

_BINARY_OPS: dict[type[ast.operator], np.ufunc] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.Pow: np.power,
    ast.Mod: np.remainder,
    ast.FloorDiv: np.floor_divide,
}
_DIVISIONS = (ast.Div, ast.FloorDiv, ast.Mod)
_REJECTED_OPS: dict[type[ast.operator], str] = {
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
}
_UNARY_OPS: dict[type[ast.unaryop], np.ufunc] = {ast.USub: np.negative, ast.UAdd: np.positive}

_NO_COMPARISONS = "use minimum, maximum, abs or sign instead"
# Node kinds that are refused outright: message template, filled with the quoted source piece.
_REJECTED_NODES: dict[type[ast.AST], str] = {
    ast.Subscript: "indexing is not allowed ({piece})",
    ast.Slice: "indexing is not allowed ({piece})",
    ast.Lambda: "lambda is not allowed ({piece}); a formula is a single expression",
    ast.ListComp: "comprehensions are not allowed ({piece})",
    ast.SetComp: "comprehensions are not allowed ({piece})",
    ast.DictComp: "comprehensions are not allowed ({piece})",
    ast.GeneratorExp: "generator expressions are not allowed ({piece})",
    ast.List: "lists are not allowed ({piece}); a formula computes one number",
    ast.Tuple: "tuples are not allowed ({piece}); a formula computes one number",
    ast.Set: "sets are not allowed ({piece}); a formula computes one number",
    ast.Dict: "dicts are not allowed ({piece}); a formula computes one number",
    ast.IfExp: "conditional expressions are not supported ({piece}); " + _NO_COMPARISONS,
    ast.Compare: "comparisons are not supported ({piece}); " + _NO_COMPARISONS,
    ast.BoolOp: "comparisons and logic (and, or, not) are not supported ({piece}); " + _NO_COMPARISONS,
    ast.JoinedStr: "strings are not allowed ({piece}); a formula works on numbers only",
    ast.FormattedValue: "strings are not allowed ({piece}); a formula works on numbers only",
    ast.NamedExpr: "assignment (:=) is not allowed ({piece})",
    ast.Starred: "unpacking with * is not allowed ({piece})",
    ast.Await: "await is not allowed ({piece})",
    ast.Yield: "yield is not allowed ({piece})",
    ast.YieldFrom: "yield is not allowed ({piece})",
}

_PIECE_WIDTH = 60
"""Quoted source pieces in messages are cut to this many characters."""

Env = Mapping[str, np.ndarray]
Value = np.ndarray | np.float64
Evaluate = Callable[[Env], Value]


class ExpressionError(ValueError):
    """A formula that is not allowed or cannot be parsed.

    `str(exc)` is a complete user-facing message without the spec key (the caller adds file, line and
    key); `column` is the 1-based character position in the formula where the problem is, when known.
    """

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Expression:
    """A checked formula in `variables`; call it with one value (number or array) per variable.

    Constructing one checks the formula (raising ExpressionError), so an unchecked Expression cannot exist.
    Equality, hashing and pickling use only `text` and `variables`.
    """

    text: str
    variables: tuple[str, ...] = ("x", "y")
    _evaluate: Evaluate = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise TypeError(f"a formula is a string, not {type(self.text).__name__}")
        variables = _checked_variables(self.variables)
        object.__setattr__(self, "variables", variables)
        object.__setattr__(self, "_evaluate", _compile(self.text, variables))

    def __call__(self, **values: np.ndarray | float) -> np.ndarray:
        """Evaluate in float64, broadcast to the values' common shape; numpy warnings are silenced (nan/inf)."""
        self._check_names(values)
        arrays = {name: np.asarray(value, dtype=np.float64) for name, value in values.items()}
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
        with np.errstate(all="ignore"):
            result = self._evaluate(arrays)
        # A copy, always: the formula `x` must not hand back (and let callers mutate) the caller's array.
        return np.array(np.broadcast_to(np.asarray(result, dtype=np.float64), shape), dtype=np.float64)

    def __reduce__(self) -> tuple[type[Expression], tuple[str, tuple[str, ...]]]:
        """Pickle as (text, variables): the compiled closures cannot be pickled, and are rebuilt."""
        return (Expression, (self.text, self.variables))

    def _check_names(self, values: Mapping[str, object]) -> None:
        """Like a Python call: a missing or unexpected variable is a TypeError."""
        missing = [name for name in self.variables if name not in values]
        if missing:
            raise TypeError(f"formula {self.text!r} needs a value for {_names(missing)}")
        extra = [name for name in values if name not in self.variables]
        if extra:
            known = ", ".join(self.variables) or "none"
            raise TypeError(f"formula {self.text!r} got unexpected {_names(extra)} (its variables: {known})")


def compile_expression(text: str, variables: Sequence[str] = ("x", "y")) -> Expression:
    """Parse and check `text` once; the result is cheap to call many times. Raises ExpressionError."""
    if isinstance(variables, str):
        raise TypeError("variables is a sequence of names, such as ('x', 'y'), not a string")
    return Expression(text, tuple(variables))


def _names(names: Sequence[str]) -> str:
    return ("variable " if len(names) == 1 else "variables ") + ", ".join(map(repr, names))


def _checked_variables(variables: Sequence[str]) -> tuple[str, ...]:
    """Variable names come from code or a schema, not the formula: a bad one is a plain ValueError."""
    names = tuple(variables)
    for name in names:
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"a variable name must be a Python identifier, not {name!r}")
        if name in FUNCTIONS or name in CONSTANTS:
            raise ValueError(f"variable name {name!r} clashes with the function or constant of that name")
    if len(set(names)) != len(names):
        raise ValueError(f"variable names repeat: {names}")
    return names


def _compile(text: str, variables: tuple[str, ...]) -> Evaluate:
    """Text -> checked numpy closure. The order matters: length before parsing, depth before recursion."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the formula is too long ({len(text)} characters; at most {MAX_LENGTH})")
    source = _Source(text)
    body = source.parse()
    source.check_brackets()
    return _Compiler(source, variables).build(body, depth=1).evaluate


def _too_deep(column: int | None = None) -> ExpressionError:
    return ExpressionError(f"the formula is nested too deeply (more than {MAX_DEPTH} levels)", column)


class _Source:
    """The formula text and the mapping from parser positions to 1-based columns in the original text.

    Leading whitespace is dropped before parsing (Python would call it an indent); `shift` keeps the
    reported columns relative to what the user wrote.
    """

    def __init__(self, text: str) -> None:
        self.text = text.lstrip()
        self.shift = len(text) - len(self.text)
        self.line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", self.text)]

    def column(self, line: int | None, char: int | None) -> int | None:
        """1-based column in the original text of 0-based character `char` of 1-based `line`."""
        if line is None or char is None or not 1 <= line <= len(self.line_starts):
            return None
        return self.shift + self.line_starts[line - 1] + char + 1

    def node_column(self, node: ast.AST) -> int | None:
        """Column of a node; the parser gives UTF-8 byte offsets, converted here to characters."""
        line, byte = getattr(node, "lineno", None), getattr(node, "col_offset", None)
        if line is None or byte is None or not 1 <= line <= len(self.line_starts):
            return None
        start = self.line_starts[line - 1]
        chars = len(self.text[start:].encode("utf-8")[:byte].decode("utf-8", errors="ignore"))
        return self.column(line, chars)

    def piece(self, node: ast.AST) -> str:
        """The quoted source text of a node, shortened for messages."""
        text = ast.get_source_segment(self.text, node) or type(node).__name__
        text = " ".join(text.split())
        if len(text) > _PIECE_WIDTH:
            text = text[: _PIECE_WIDTH - 1] + "…"
        return repr(text)

    def parse(self) -> ast.expr:
        """The expression's AST, or ExpressionError with the parser's complaint made readable."""
        if not self.text.strip():
            raise ExpressionError("the formula is empty")
        if "\0" in self.text:  # the parser's own words for this are about "source code strings"
            raise ExpressionError("the formula contains a null character", self.shift + self.text.index("\0") + 1)
        try:
            tree = _quiet_parse(self.text, "eval")
        except SyntaxError as exc:
            raise self._syntax_error(exc) from None
        except (RecursionError, MemoryError):
            raise _too_deep() from None
        except ValueError:  # the parser's other refusals (older Pythons raised this for null bytes)
            raise ExpressionError("cannot parse the formula") from None
        assert isinstance(tree, ast.Expression)
        return tree.body

    def check_brackets(self) -> None:
        """Parentheses leave no trace in the AST, so `((((x))))` is measured on the tokens."""
        depth = 0
        try:
            for token in tokenize.generate_tokens(io.StringIO(self.text).readline):
                if token.type != tokenize.OP:
                    continue
                if token.string in "([{":
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise _too_deep(self.column(*token.start))
                elif token.string in ")]}":
                    depth -= 1
        except (tokenize.TokenError, SyntaxError):  # it parsed, so the parser's own limit of 200 held
            return

    def _syntax_error(self, exc: SyntaxError) -> ExpressionError:
        """Statements get their own message; everything else is the parser's, with a column."""
        message = exc.msg or "invalid syntax"
        if "too many nested parentheses" in message:
            return _too_deep(self.column(exc.lineno, (exc.offset or 1) - 1))
        ran_out = not (exc.lineno and exc.offset and exc.offset >= 1)
        # When the parser reached the end of the input, point just past it.
        end = self.shift + len(self.text.rstrip()) + 1
        column = end if ran_out else self.column(exc.lineno, (exc.offset or 1) - 1)
        statement = self._statement_problem()
        if statement is not None:
            return ExpressionError(statement, column)
        if ran_out and message == "invalid syntax":
            return ExpressionError(f"the formula ends too early, something is missing (column {column})", column)
        message = message[:1].lower() + message[1:].rstrip(".")
        if message.startswith("invalid decimal literal"):
            message += "; write 2*x, not 2x"
        return ExpressionError(f"cannot parse the formula: {message} (column {column})", column)

    def _statement_problem(self) -> str | None:
        """A message if the text is valid Python statements (import, assignment, `x; y`), else None."""
        try:
            module = _quiet_parse(self.text, "exec")
        except (SyntaxError, RecursionError, MemoryError, ValueError):
            return None
        assert isinstance(module, ast.Module)
        if not module.body:
            return "the formula is empty (it is only a comment)"
        if len(module.body) > 1:
            hint = "; wrap one that spans lines in parentheses" if "\n" in self.text or "\r" in self.text else ""
            return f"a formula is a single expression; it cannot be several joined by ';' or line breaks{hint}"
        statement = module.body[0]
        if isinstance(statement, ast.Expr):  # `x;`: a lone expression that only failed for the `;`
            return "a formula is a single expression; remove the ';'"
        kind = "an import"
        if isinstance(statement, ast.Assign | ast.AugAssign | ast.AnnAssign):
            kind = "an assignment"
        elif not isinstance(statement, ast.Import | ast.ImportFrom):
            kind = "a statement"
        return f"a formula is a single expression; {self.piece(statement)} is {kind}, which is not allowed"


def _quiet_parse(text: str, mode: str) -> ast.AST:
    """ast.parse without SyntaxWarnings/DeprecationWarnings (`1 is 1`, bad escapes): we report our own."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text, mode=mode)


@dataclass(frozen=True)
class _Node:
    """A checked sub-expression: how to evaluate it, and its value if it is made only of constants."""

    evaluate: Evaluate
    constant: np.float64 | None = None

    @classmethod
    def of_constant(cls, value: float) -> _Node:
        number = np.float64(value)
        return cls(lambda env: number, number)


class _Compiler:
    """Walks the AST once, refusing anything outside the whitelist, and builds numpy closures."""

    def __init__(self, source: _Source, variables: tuple[str, ...]) -> None:
        self.source = source
        self.variables = variables

    def build(self, node: ast.expr, depth: int) -> _Node:
        """Dispatch on the node type; depth is checked here, so the recursion is bounded by MAX_DEPTH."""
        if depth > MAX_DEPTH:
            raise _too_deep(self.source.node_column(node))
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.BinOp):
            return self._binary(node, depth)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, ast.Attribute):
            raise self._attribute_error(node)
        template = _REJECTED_NODES.get(type(node), "this is not allowed in a formula ({piece}); {vocabulary}")
        raise self._error(node, template.format(piece=self.source.piece(node), vocabulary=self._vocabulary()))

    def _error(self, node: ast.AST, message: str) -> ExpressionError:
        return ExpressionError(message, self.source.node_column(node))

    def _vocabulary(self) -> str:
        """What a formula may contain, for the messages about what it may not."""
        if not self.variables:
            return "formulas use only numbers and functions like sin(1)"
        first = self.variables[0]
        kind = "variable" if len(self.variables) == 1 else "variables"
        return f"formulas use only numbers, the {kind} {', '.join(self.variables)}, and functions like sin({first})"

    def _constant(self, node: ast.Constant) -> _Node:
        value = node.value
        piece = self.source.piece(node)
        if isinstance(value, bool):
            raise self._error(node, f"booleans are not numbers here ({piece}); write 1 or 0")
        if isinstance(value, complex):
            raise self._error(node, f"complex numbers are not supported ({piece})")
        if isinstance(value, str | bytes):
            raise self._error(node, f"strings are not allowed ({piece}); a formula works on numbers only")
        if not isinstance(value, int | float):  # None, Ellipsis
            raise self._error(node, f"{piece} is not a number; {self._vocabulary()}")
        try:
            number = float(value)  # ints become floats: no Python big-int arithmetic, ever
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise self._error(node, f"the number {piece} is too large for a 64-bit float (at most about 1.8e308)")
        return _Node.of_constant(number)

    def _name(self, node: ast.Name) -> _Node:
        name = node.id
        if name in self.variables:
            return _Node(operator.itemgetter(name))
        if name in CONSTANTS:
            return _Node.of_constant(CONSTANTS[name])
        if name in FUNCTIONS:
            raise self._error(node, f"{name!r} is a function: call it, as in {name}({self._example_args(name)})")
        known = [*self.variables, *CONSTANTS]
        variables = f"the variables are {', '.join(self.variables)}" if self.variables else "there are no variables"
        hint = f"{variables}; the constants are {', '.join(CONSTANTS)}"
        raise self._error(node, f"unknown name {name!r}; {hint}{did_you_mean(name, known)}")

    def _example_args(self, function: str) -> str:
        first = self.variables[0] if self.variables else "1"
        return ", ".join([first] * FUNCTIONS[function][1])

    def _binary(self, node: ast.BinOp, depth: int) -> _Node:
        op = type(node.op)
        if op in _REJECTED_OPS:
            hint = "; use ** for powers" if op is ast.BitXor else "; the operators are + - * / // % **"
            piece = self.source.piece(node)
            raise self._error(node, f"operator {_REJECTED_OPS[op]!r} is not supported ({piece}){hint}")
        left = self.build(node.left, depth + 1)
        right = self.build(node.right, depth + 1)
        if op in _DIVISIONS and right.constant is not None and right.constant == 0:  # even `x / 0`: always a slip
            raise self._error(node, f"{self.source.piece(node)} divides by zero")
        exponent = right.constant if op is ast.Pow and left.constant is None else None
        if exponent is not None and abs(exponent) > MAX_EXPONENT:
            message = f"{self.source.piece(node)}: the exponent of a variable part is at most {MAX_EXPONENT} in size"
            raise self._error(node, message)
        return self._apply(node, _BINARY_OPS[op], [left, right])

    def _unary(self, node: ast.UnaryOp, depth: int) -> _Node:
        if isinstance(node.op, ast.Not):
            message = f"comparisons and logic (and, or, not) are not supported ({self.source.piece(node)})"
            raise self._error(node, f"{message}; {_NO_COMPARISONS}")
        if isinstance(node.op, ast.Invert):
            raise self._error(node, f"operator '~' is not supported ({self.source.piece(node)})")
        operand = self.build(node.operand, depth + 1)
        return self._apply(node, _UNARY_OPS[type(node.op)], [operand])

    def _call(self, node: ast.Call, depth: int) -> _Node:
        name = self._function_name(node)
        for keyword_arg in node.keywords:
            piece = self.source.piece(keyword_arg)
            if keyword_arg.arg is None:
                raise self._error(keyword_arg, f"unpacking with ** is not allowed ({piece})")
            hint = f"pass values by position, as in {name}({self._example_args(name)})"
            raise self._error(keyword_arg, f"keyword arguments are not allowed ({piece}); {hint}")
        ufunc, arity = FUNCTIONS[name]
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self._error(arg, f"unpacking with * is not allowed ({self.source.piece(arg)})")
        if len(node.args) != arity:
            plural = "argument" if arity == 1 else "arguments"
            message = f"{name} takes {arity} {plural}, got {len(node.args)} ({self.source.piece(node)})"
            raise self._error(node, message)
        return self._apply(node, ufunc, [self.build(arg, depth + 1) for arg in node.args])

    def _function_name(self, node: ast.Call) -> str:
        """The called name, if it is one of FUNCTIONS; otherwise the most helpful refusal."""
        func = node.func
        if isinstance(func, ast.Attribute):
            raise self._attribute_error(func)
        if not isinstance(func, ast.Name):
            piece = self.source.piece(node)
            raise self._error(node, f"only named functions can be called, as in sin(x) ({piece})")
        name = func.id
        if name in FUNCTIONS:
            return name
        if name in self.variables or name in CONSTANTS:
            kind = "a variable" if name in self.variables else "a constant"
            hint = f"write {name}*(...) to multiply"
            raise self._error(func, f"{name!r} is {kind}, not a function ({self.source.piece(node)}); {hint}")
        known = f"the functions are {', '.join(sorted(FUNCTIONS))}"
        raise self._error(func, f"unknown function {name!r}; {known}{did_you_mean(name, FUNCTIONS)}")

    def _attribute_error(self, node: ast.Attribute) -> ExpressionError:
        if node.attr in FUNCTIONS:
            hint = f"use the bare function name: {node.attr}(...)"
        elif node.attr in CONSTANTS:
            hint = f"use the bare name: {node.attr}"
        else:
            hint = self._vocabulary()
        return self._error(node, f"attribute access is not allowed ({self.source.piece(node)}); {hint}")

    def _apply(self, node: ast.expr, ufunc: np.ufunc, args: list[_Node]) -> _Node:
        """A ufunc over checked arguments; folded now if they are all constants."""
        constants = [arg.constant for arg in args]
        if all(c is not None for c in constants):
            return self._fold(node, ufunc, constants)
        if len(args) == 1:
            only = args[0].evaluate
            return _Node(lambda env: ufunc(only(env)))
        if len(args) == 2:
            first, second = args[0].evaluate, args[1].evaluate
            return _Node(lambda env: ufunc(first(env), second(env)))
        evaluators = [arg.evaluate for arg in args]
        return _Node(lambda env: ufunc(*(evaluate(env) for evaluate in evaluators)))

    def _fold(self, node: ast.expr, ufunc: np.ufunc, values: list[Any]) -> _Node:
        """Compute a constant piece once; a non-finite result from finite inputs is a mistake in the spec."""
        flags: list[str] = []
        with np.errstate(all="call", call=lambda kind, _flag: flags.append(kind)):
            value = float(ufunc(*values))
        if math.isfinite(value):
            return _Node.of_constant(value)
        piece = self.source.piece(node)
        if "divide by zero" in flags:
            problem = "divides by zero" if isinstance(node, ast.BinOp) else "is infinite (a division by zero)"
        elif "overflow" in flags or math.isinf(value):
            problem = "is too large for a 64-bit float (overflow; at most about 1.8e308)"
        elif ufunc is np.power:
            problem = "is undefined (not a number): a negative number to a fractional power; cbrt gives cube roots"
        else:
            problem = "is undefined (not a number)"
        raise self._error(node, f"{piece} {problem}")
