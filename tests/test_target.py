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

