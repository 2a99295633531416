import pytest

from optimizer.errors import AmbiguousTarget, TargetNotFound
from optimizer.target import index_repo, module_name, replace_definition, resolve
from repos import SLOW_REPO, make_repo


@pytest.fixture
def repo(tmp_path):
    files = dict(SLOW_REPO)
    files["src/other/mod.py"] = "import os\n\n\ndef total(x):\n    return helper(x)\n\n\ndef helper(x):\n    return x\n"
    return make_repo(tmp_path / "r", files, git=False)


@pytest.fixture
def index(repo):
    return index_repo(repo)


def test_index_finds_functions_and_methods_not_tests(index):
    names = {t.name for t in index}
    assert names == {"pkg.core.unique_ordered", "pkg.core.total", "pkg.core.Stack.__init__",
                     "pkg.core.Stack.push_all", "other.mod.total", "other.mod.helper"}


def test_target_details(index):
    t = resolve(index, "other.mod.total")
    assert (t.file, t.module, t.import_root, t.callees) == ("src/other/mod.py", "other.mod", "src", ("helper",))
    assert t.imports == ("import os",)
    m = resolve(index, "pkg.core:Stack.push_all")
    assert m.class_name == "Stack" and m.indent == "    " and m.source.startswith("    def push_all")


@pytest.mark.parametrize("spec", ["unique_ordered", "pkg.core.unique_ordered", "pkg.core:unique_ordered",
                                  "pkg/core.py::unique_ordered", "./pkg/core.py::unique_ordered"])
def test_resolve_forms(index, spec):
    assert resolve(index, spec).name == "pkg.core.unique_ordered"


def test_resolve_methods(index):
    assert resolve(index, "pkg/core.py::Stack.push_all").qualname == "Stack.push_all"
    assert resolve(index, "push_all").qualname == "Stack.push_all"


def test_ambiguous_lists_matches(index):
    with pytest.raises(AmbiguousTarget, match=r"ambiguous: pkg/core.py::total, src/other/mod.py::total"):
        resolve(index, "total")


def test_unknown_suggests_close_matches(index):
    with pytest.raises(TargetNotFound, match="did you mean .*unique_ordered"):
        resolve(index, "unique_orderd")


def test_module_name_layouts():
    assert module_name("pkg/__init__.py") == ("pkg", "")
    assert module_name("src/a/b.py") == ("a.b", "src")
    assert module_name("top.py") == ("top", "")


def test_replace_method_keeps_indentation_and_adds_imports(repo, index):
    t = resolve(index, "Stack.push_all")
    text = (repo / t.file).read_text()
    new = replace_definition(text, t, "def push_all(self, values):\n    self.items.extend(values)\n"
                                      "    return len(self.items)\n", ("import collections",))
    assert "    def push_all(self, values):\n        self.items.extend(values)\n" in new
    assert new.startswith('"""Core helpers."""\nimport collections\n')
    compile(new, "x", "exec")
    assert "def unique_ordered" in new and "def __init__" in new



def test_overload_stubs_give_way_to_the_implementation(tmp_path):
    """Markdown's Registry.__getitem__ has two typing.overload stubs before its body: the
    index listed three, and naming it said "ambiguous" with three identical names."""
    files = {"reg.py": ("from typing import overload\n\n\nclass Registry:\n"
                        "    @overload\n    def __getitem__(self, key: str) -> int: ...\n\n"
                        "    @overload\n    def __getitem__(self, key: slice) -> list: ...\n\n"
                        "    def __getitem__(self, key):\n        return 1\n\n\n"
                        "def f():\n    return 1\n\n\ndef f():\n    return 2\n")}
    index = index_repo(make_repo(tmp_path / "r", files, git=False))
    getitem = resolve(index, "reg:Registry.__getitem__")
    assert "return 1" in getitem.source and "@overload" not in getitem.source
    assert "return 2" in resolve(index, "reg.f").source      # a redefinition: the last one is bound
    assert sorted(t.name for t in index) == ["reg.Registry.__getitem__", "reg.f"]
