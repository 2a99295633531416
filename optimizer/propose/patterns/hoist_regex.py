"""hoist-regex-compile: `re.match(LITERAL, s)` uses a pattern compiled once: before the loop
it runs in, or at module level when the call is not in a loop (issue #18: anywhere in a hot
function)."""
from __future__ import annotations

import ast
import hashlib
import re

import libcst as cst

from ._common import (Inserter, Pattern, Rewrite, assign_line, fresh, name_uses, parents,
                      parse_function, walk)
from ._uses import in_nested_scope
from ._loops import steps

DESCRIPTION = (
    "Calls like `re.match(r'...', s)`, `re.sub(r'...', repl, s)` or "
    "`re.findall(r'...', s, re.I)` with a string-literal pattern and constant "
    "flags, made inside a loop or comprehension, use a pattern compiled once in "
    "a fresh local before the loop (`_regex = re.compile(r'...', re.I)`, then "
    "`_regex.match(s)`). Each module-level re call re-parses its arguments and "
    "looks the pattern up in re's cache; the compiled pattern's method skips "
    "both, typically 1.3-3x on short strings. Only when `re` is not bound in "
    "the function (it is taken to be the module), the literal compiles with "
    "its flags (checked at rewrite time, so compiling early cannot raise), and "
    "the arguments map one to one (no string=/pattern=/repl= keywords, no "
    "positional count/maxsplit together with flags). The compiled pattern is "
    "built even when the loop then runs zero times; results are identical. A call "
    "outside any loop (run once per call of a hot function) uses a module-level "
    "constant instead, `_RE_<hash> = re.compile(...)`, placed after the module's "
    "imports and named by a hash of the pattern and flags, so two rewrites of one "
    "module share a constant only when it is the same pattern."
)

# method -> number of positional arguments after the pattern that are not flags
# (required ones, then the optional count/maxsplit), and that optional's keyword.
_SIGNATURES = {
    "match": (1, None), "search": (1, None), "fullmatch": (1, None),
    "findall": (1, None), "finditer": (1, None),
    "sub": (2, "count"), "subn": (2, "count"), "split": (1, "maxsplit"),
}
_STRINGS = (cst.SimpleString, cst.ConcatenatedString)


def _literal(node: cst.BaseExpression):
    """The str/bytes value of a plain string literal (no f-strings), else None."""
    if not isinstance(node, _STRINGS):
        return None
    if any(isinstance(n, cst.FormattedString) for n in walk(node)):
        return None
    try:
        value = ast.literal_eval(cst.Module([]).code_for_node(node))
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, (str, bytes)) else None


def _flag_value(node: cst.BaseExpression) -> int | None:
    """The value of constant flags: `re.I`, `re.IGNORECASE | re.M`, an int literal."""
    if isinstance(node, cst.Integer):
        return node.evaluated_value
    if (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)
            and node.value.value == "re"):
        flag = getattr(re, node.attr.value, None)
        return int(flag) if isinstance(flag, re.RegexFlag) else None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        left, right = _flag_value(node.left), _flag_value(node.right)
        return None if left is None or right is None else left | right
    return None


def _split_args(call: cst.Call, method: str):
    """(pattern arg, flags arg or None, indexes of the args kept) or None if unsure."""
    args = list(call.args)
    if not args or any(a.star for a in args):
        return None
    required, optional_kw = _SIGNATURES[method]
    positional = [a for a in args if a.keyword is None]
    keywords = [a for a in args if a.keyword is not None]
    if len(positional) != len(args) - len(keywords) or any(
            a.keyword is None for a in args[len(positional):]):
        return None                     # keyword before positional: not valid anyway
    allowed = {"flags"} | ({optional_kw} if optional_kw else set())
    if any(a.keyword.value not in allowed for a in keywords):
        return None
    kw_names = [a.keyword.value for a in keywords]
    if len(set(kw_names)) != len(kw_names):
        return None
    extra = len(positional) - 1 - required      # positionals beyond pattern + required ones
    flags = next((a for a in keywords if a.keyword.value == "flags"), None)
    if extra < 0:
        return None
    if optional_kw is None:
        if extra > 1 or (extra == 1 and flags is not None):
            return None
        if extra == 1:
            flags = positional[-1]
    else:
        if extra > 0 and (flags is not None or extra > 1):
            return None                 # count/maxsplit positional with flags: refuse
        if extra == 1 and optional_kw in kw_names:
            return None
    kept = [i for i, a in enumerate(args) if i > 0 and a is not flags]
    return args[0], flags, kept


def _in_loop(call: cst.Call, par) -> bool:
    return any(step.loop for step in steps(call, par))


def _top_statement(node, func, par):
    while node in par:
        if par[node] is func.body:
            return node
        node = par[node]
    return None


def rewrite(source: str) -> Rewrite | None:
    """Preconditions (per call, else that call is left alone):

    - the name `re` is used in the function only as `re.<attr>` (not a
      parameter, not assigned, imported or passed around), so it is the module;
    - the call is `re.match/search/fullmatch/findall/finditer/sub/subn/split`
      with a plain string or bytes literal (no f-string) as first positional
      argument, and flags (3rd positional for match..finditer, else only the
      `flags=` keyword) absent or a constant: `re.NAME` flags, `|` of those, an
      int literal; not re.DEBUG (it prints at each compile);
    - the other arguments are positional, or `count=`/`maxsplit=` for
      sub/subn/split; no star-args, no other keyword; count/maxsplit is not
      passed positionally together with flags;
    - the pattern compiles with those flags right now (so the hoisted compile
      cannot raise);
    - the call is in this function, not in a nested def/lambda/class; the
      function has an indented body.
    Same literal text + same flags text share one compiled name. When every such
    call runs in a loop's repeated part (for/while body, while test, comprehension
    element/condition/inner iterable), the name is a local assigned before the
    first top-level statement of the body that holds such a call; otherwise it is
    a module-level constant, returned with `import re` as the lines the module
    needs (the function's `re` is the module's, which that import or the module's
    own binds before the constant's line).
    """
    parsed = parse_function(source)
    if parsed is None:
        return None
    module, func = parsed
    if not isinstance(func.body, cst.IndentedBlock):
        return None
    par = parents(module)
    for use in name_uses(func, "re", par):
        holder = par.get(use)
        if not (isinstance(holder, cst.Attribute) and holder.value is use):
            return None
    code = cst.Module([]).code_for_node
    taken = set(par.names)
    groups: dict[tuple[str, str | None], list] = {}    # key -> [(call, kept arg indexes)]
    compiled_args: dict[tuple[str, str | None], list] = {}
    for node in walk(func.body, par):
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                and isinstance(node.func.value, cst.Name) and node.func.value.value == "re"
                and node.func.attr.value in _SIGNATURES):
            continue
        split = _split_args(node, node.func.attr.value)
        if split is None:
            continue
        pattern, flags, kept = split
        value = _literal(pattern.value)
        flag_value = 0 if flags is None else _flag_value(flags.value)
        if value is None or flag_value is None or flag_value & re.DEBUG:
            continue                    # re.DEBUG prints on every uncached compile
        try:
            re.compile(value, flag_value)
        except (re.error, ValueError, TypeError, OverflowError):
            continue
        if in_nested_scope(node, func, par):
            continue
        key = (code(pattern.value), None if flags is None else code(flags.value))
        groups.setdefault(key, []).append((node, kept))
        compiled_args.setdefault(key, [pattern.value] + ([flags.value] if flags else []))
    if not groups:
        return None
    body = list(func.body.body)
    before: dict = {}
    replace: dict = {}
    module_lines: list[str] = []
    for key, calls in groups.items():
        value = cst.Call(cst.Attribute(cst.Name("re"), cst.Name("compile")),
                         [cst.Arg(v) for v in compiled_args[key]])
        if all(_in_loop(c, par) for c, _ in calls):
            name = fresh("_regex", taken)
            first = min(body.index(_top_statement(c, func, par)) for c, _ in calls)
            before.setdefault(body[first], []).append(assign_line(name, value))
        else:       # runs once per call: compile once per process instead
            name = "_RE_" + hashlib.sha1(repr(key).encode()).hexdigest()[:8].upper()
            module_lines.append(f"{name} = {code(value)}")
        for call, kept in calls:
            replace[call] = _retarget(name, kept)
    imports = ("import re", *module_lines) if module_lines else ()
    return module.visit(Inserter(replace=replace, before=before)).code, imports

def _retarget(name: str, kept: list[int]):
    def apply(call: cst.Call) -> cst.Call:
        args = [call.args[i] for i in kept]
        if args:
            args[-1] = args[-1].with_changes(comma=call.args[-1].comma)
        func = call.func.with_changes(value=cst.Name(name))
        return call.with_changes(func=func, args=args)
    return apply


PATTERN = Pattern(id="hoist-regex-compile", description=DESCRIPTION, rewrite=rewrite)
