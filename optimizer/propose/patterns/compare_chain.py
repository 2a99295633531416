"""compare-chain-to-membership: `x == 'a' or x == 'b' or ...` (four or more constants)
becomes `x in ('a', 'b', ...)` (issue #18: repeated tests turned into one lookup)."""
from __future__ import annotations

import libcst as cst

from ._common import Pattern, Rewrite, parents, parse_function
from ._uses import is_truth_test

DESCRIPTION = (
    "A chain of four or more equality tests of one name against literal constants, "
    "`x == 'a' or x == 'b' or x == 'c' or x == 'd'` (or `x != ... and x != ...`), used "
    "only as a condition, becomes `x in ('a', 'b', 'c', 'd')` (`not in`): one "
    "containment test over a constant tuple, scanned in C, instead of one comparison "
    "and jump per constant in the bytecode (about 1.3x at eight constants on CPython "
    "3.11, nothing at three, so shorter chains are left). Exact: tuple containment tests "
    "identity, then ==, and a literal constant equals itself; the chain's value was only "
    "used for its truth. Not turned into a set: `x in {...}` would raise TypeError for an "
    "unhashable x where the chain answered False. isinstance() chains are left alone: "
    "merging them into one isinstance(x, (A, B)) call measured no faster on 3.11."
)

_MIN = 4
_CONSTANTS = (cst.SimpleString, cst.Integer, cst.Float)


def _test(node: cst.CSTNode, op) -> tuple[str, cst.BaseExpression] | None:
    """(name, constant) for `name == CONST` (or `CONST == name`) with the given operator."""
    if not (isinstance(node, cst.Comparison) and len(node.comparisons) == 1 and not node.lpar):
        return None
    target = node.comparisons[0]
    if not isinstance(target.operator, op):
        return None
    left, right = node.left, target.comparator
    if isinstance(right, cst.Name) and not isinstance(left, cst.Name):
        left, right = right, left
    constant = isinstance(right, _CONSTANTS) or (isinstance(right, cst.Name) and right.value in ("None", "True", "False"))
    if isinstance(left, cst.Name) and left.value not in ("None", "True", "False") and constant:
        if isinstance(right, cst.SimpleString) and right.prefix.lower().find("f") >= 0:
            return None
        return left.value, right
    return None


def _chain(node: cst.CSTNode, joiner, op, top: bool = True) -> list[tuple[str, cst.BaseExpression]] | None:
    """The tests of `a or b or c ...` (left-nested), all of the same form, else None."""
    if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, joiner) and (top or not node.lpar):
        left = _chain(node.left, joiner, op, top=False)
        right = _test(node.right, op)
        return None if left is None or right is None else [*left, right]
    single = _test(node, op)
    return None if single is None else [single]


class _Chains(cst.CSTTransformer):
    def __init__(self, par) -> None:
        super().__init__()
        self.par = par

    def leave_BooleanOperation(self, original_node, updated_node):
        if isinstance(self.par.get(original_node), cst.BooleanOperation) and \
                type(self.par[original_node].operator) is type(original_node.operator):
            return updated_node          # the outermost node of a same-operator chain decides
        if not is_truth_test(original_node, self.par):
            return updated_node
        for joiner, op, member in ((cst.Or, cst.Equal, cst.In), (cst.And, cst.NotEqual, cst.NotIn)):
            tests = _chain(original_node, joiner, op)
            if tests and len(tests) >= _MIN and len({n for n, _ in tests}) == 1:
                items = [cst.Element(c) for _, c in tests]
                new = cst.Comparison(cst.Name(tests[0][0]),
                                     [cst.ComparisonTarget(member(), cst.Tuple(items))])
                return new.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)
        return updated_node


def rewrite(source: str) -> Rewrite | None:
    """Preconditions: four or more tests joined by one operator, `or` of `==` or `and` of
    `!=`, none in parentheses of its own, each comparing the same plain name (not None,
    True or False) with a string (not f-string), int, float literal or None/True/False;
    the whole chain's value is only a condition (if/while/assert/comprehension test,
    conditional expression, `not`, or part of a larger `and`/`or` that is)."""
    parsed = parse_function(source)
    if parsed is None:
        return None
    module, _ = parsed
    new = module.visit(_Chains(parents(module))).code
    return (new, ()) if new != source else None


PATTERN = Pattern(id="compare-chain-to-membership", description=DESCRIPTION, rewrite=rewrite)
