"""parse_answer: from a model's free text to (definition, imports)."""
from __future__ import annotations

import pytest

from optimizer.propose.parse import ParseError, parse_answer

NEW = "def total(xs):\n    # sum is C-level\n    return sum(xs)\n"


def test_python_fence_with_prose_and_imports():
    answer = (
        "Here is a faster version:\n\n"
        "```python\nimport math\nfrom itertools import (\n    accumulate,\n)\n\n" + NEW + "```\n"
        "It avoids the Python-level loop."
    )
    source, imports = parse_answer(answer, "total")
    assert source == NEW                       # the comment inside survives
    assert imports == ("import math", "from itertools import (\n    accumulate,\n)")


@pytest.mark.parametrize("tag", ["py", "", "Python", "python3"])
def test_other_fence_tags(tag):
    assert parse_answer(f"```{tag}\n{NEW}```", "total") == (NEW, ())


def test_bare_code_without_fence():
    assert parse_answer("import math\n\n" + NEW, "total") == (NEW, ("import math",))


def test_decorators_are_kept():
    answer = "```python\nimport functools\n\n@functools.lru_cache(maxsize=None)\n@staticmethod\n" + NEW + "```"
    source, _ = parse_answer(answer, "total")
    assert source.startswith("@functools.lru_cache(maxsize=None)\n@staticmethod\ndef total(xs):")


def test_several_blocks_prefer_the_last_that_defines_the_target():
    answer = (
        "Original:\n```python\ndef total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n```\n"
        "Faster:\n```python\n" + NEW + "```\n"
        "Usage:\n```python\nprint(total([1, 2]))\n```\n"
        "```bash\npython -m timeit\n```\n"
    )
    assert parse_answer(answer, "total") == (NEW, ())


def test_truncated_last_block_loses_to_complete_one():
    answer = "```python\n" + NEW + "```\nAnd even faster:\n```python\ndef total(xs):\n    return"
    assert parse_answer(answer, "total") == (NEW, ())


def test_unclosed_fence_alone_is_used():
    assert parse_answer("```python\n" + NEW, "total") == (NEW, ())


def test_indented_method():
    answer = "```python\n    def area(self):\n        # cached\n        return self._w * self._h\n```"
    source, _ = parse_answer(answer, "area")
    assert source == "def area(self):\n    # cached\n    return self._w * self._h\n"


def test_method_inside_its_class_wrapper():
    answer = (
        "```python\nfrom math import prod\n\nclass Box:\n    def __init__(self, w, h):\n        self._w, self._h = w, h\n\n"
        "    @property\n    def area(self):\n        text = '''\nkeep\n'''\n        return prod((self._w, self._h))\n```"
    )
    source, imports = parse_answer(answer, "area")
    assert source == "@property\ndef area(self):\n    text = '''\nkeep\n'''\n    return prod((self._w, self._h))\n"
    assert imports == ("from math import prod",)


def test_async_def():
    answer = "```python\nasync def fetch(x):\n    return x\n```"
    assert parse_answer(answer, "fetch")[0] == "async def fetch(x):\n    return x\n"


def test_future_imports_are_dropped():
    answer = "```python\nfrom __future__ import annotations\nimport os\n" + NEW + "```"
    assert parse_answer(answer, "total")[1] == ("import os",)


def _reason(answer: str, name: str = "total") -> str:
    with pytest.raises(ParseError) as info:
        parse_answer(answer, name)
    return info.value.reason


def test_helpers_are_refused():
    answer = "```python\ndef _a(x):\n    return x\n\ndef _b(x):\n    return x\n\n" + NEW + "```"
    assert _reason(answer) == "answer defines other functions: _a, _b; only the target's definition can be replaced"


def test_module_level_names_are_refused():
    answer = "```python\n_TABLE = {}\n\n" + NEW + "```"
    assert "other top-level names: _TABLE" in _reason(answer)


@pytest.mark.parametrize("answer", ["", "junk", "I cannot help with that.", "Sorry, total is already optimal.", "```bash\nls\n```"])
def test_no_code(answer):
    assert _reason(answer) == "no code block"


def test_wrong_function():
    assert _reason("```python\ndef other(xs):\n    return 1\n```") == "no definition of total in the answer"


def test_bare_code_for_another_name():
    assert _reason("def other(xs):\n    return 1\n") == "no definition of total in the answer"


def test_bare_code_after_a_line_of_prose():
    assert parse_answer("Here you go:\n" + NEW, "total") == (NEW, ())


def test_bare_broken_definition_reports_syntax_error():
    assert _reason("def total(xs):\n    return sum(xs\n").startswith("syntax error on line 2:")


def test_syntax_error_reports_the_line():
    reason = _reason("```python\ndef total(xs):\n    return sum(xs\n\n```")
    assert reason.startswith("syntax error on line 2:"), reason
