"""Shared by the replay and timing workers, which run inside the sandbox.
Standalone on purpose: no optimizer imports."""
import importlib
import os
import pickle
import sys

# In the project's own interpreter (optimizer/interpreter.py), the optimizer's optional
# helpers (cloudpickle, hypothesis, CrossHair) come from its own environment, after
# everything of the project's: a package the project has is always the project's.
for _path in os.environ.get("OPTIMIZE_HELPERS", "").split(os.pathsep):
    if _path and _path not in sys.path:
        sys.path.append(_path)

try:
    # Captured calls may be cloudpickle's (lambdas, closures): pickle.loads imports it to
    # rebuild them. Imported here, before any candidate is, so a candidate cannot plant
    # its own "cloudpickle" in sys.modules and choose the arguments it is judged on.
    import cloudpickle  # noqa: F401
except ImportError:
    pass


def load_function(module_name, qualname):
    """The raw function behind a target, called with the captured arguments
    (which include self or cls for methods)."""
    module = importlib.import_module(module_name)
    *owner_path, name = qualname.split(".")
    owner = module
    for part in owner_path:
        owner = getattr(owner, part)
    name = attribute_name(owner, name)
    raw = owner.__dict__[name] if hasattr(owner, "__dict__") and name in owner.__dict__ else getattr(owner, name)
    return getattr(raw, "__func__", raw)               # staticmethod / classmethod


def attribute_name(owner, name):
    """The name a class stores a method under: `def __apply(self)` in class Inline is
    `_Inline__apply` (name mangling). sitecustomize.py, which imports nothing of ours,
    has the same rule."""
    if isinstance(owner, type) and name.startswith("__") and not name.endswith("__") and owner.__name__.strip("_"):
        return "_" + owner.__name__.lstrip("_") + name
    return name


def load_calls(path):
    with open(path, "rb") as fh:
        calls = pickle.load(fh)
    _test_folders_on_path(calls)
    return calls


def _test_folders_on_path(calls):
    """pytest imports a test file whose folder has no __init__.py by its bare name
    (`test_itertoolz`), with that folder first on sys.path; a captured argument may be an
    object of a class defined there. The folders of the tests that made the calls go at
    the end of the path, so those calls load here as they did under pytest (toolz)."""
    for rec in calls if isinstance(calls, list) else ():
        test = rec.get("test") if isinstance(rec, dict) else None
        if isinstance(test, str) and test:
            folder = os.path.dirname(os.path.abspath(test.split("::", 1)[0]))
            if os.path.isdir(folder) and folder not in sys.path:
                sys.path.append(folder)


def short(value, limit=160):
    try:
        text = repr(value)
    except Exception as exc:
        text = "<repr failed: %s>" % type(exc).__name__
    return text if len(text) <= limit else text[: limit // 2 - 2] + " … " + text[-(limit // 2 - 2):]

