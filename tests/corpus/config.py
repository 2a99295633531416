"""A function using a dict argument without modifying it."""
from . import Right, Wrong

TARGET = "effective_config"

ORIGINAL = '''
    """Settings."""


    def effective_config(overrides, defaults):
        """The defaults updated by the overrides whose value is not None.
        Neither argument is modified."""
        result = {}
        for key in defaults:
            result[key] = defaults[key]
        for key in overrides:
            value = overrides[key]
            if value is not None:
                result[key] = value
        return result
'''

TESTS = '''
    from lib.config import effective_config

    DEFAULTS = {"host": "localhost", "port": 8080, "debug": False}


    def test_override_port():
        assert effective_config({"port": 9000}, DEFAULTS)["port"] == 9000


    def test_none_is_ignored():
        assert effective_config({"host": None, "debug": True}, DEFAULTS)["debug"] is True
'''

WRONG = [
    Wrong('''
def effective_config(overrides, defaults):
    result = defaults
    for key, value in overrides.items():
        if value is not None:
            result[key] = value
    return result
''', "mutates argument #1 differently", "updates the caller's defaults dict instead of a copy"),
    Wrong('''
def effective_config(overrides, defaults):
    return {**defaults, **overrides}
''', "returns a different value", "None overrides are no longer ignored"),
    Wrong('''
def effective_config(overrides, defaults):
    for key in [k for k, v in overrides.items() if v is None]:
        del overrides[key]
    return {**defaults, **overrides}
''', "mutates argument #0 differently", "drops the None entries from the caller's overrides"),
    Wrong('''
def effective_config(overrides, defaults):
    result = dict(defaults)
    for key, value in overrides.items():
        if value is not None:
            result[key] = value
    print("effective config:", result)
    return result
''', "prints different output", "a debugging print left in"),
]

RIGHT = [
    Right('''
def effective_config(overrides, defaults):
    result = dict(defaults)
    for key, value in overrides.items():
        if value is not None:
            result[key] = value
    return result
''', "dict(defaults) copies in C"),
    Right('''
def effective_config(overrides, defaults):
    return {**defaults, **{k: v for k, v in overrides.items() if v is not None}}
''', "two dict displays instead of item-by-item assignment"),
]
