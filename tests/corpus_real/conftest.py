"""The vendored libraries' own tests, benches and candidate files are data for
tests/test_corpus_real.py (they run inside the repositories it builds), not tests
of this project."""
collect_ignore_glob = ["*/tests/*", "*/bench.py", "*/candidates/*", "*/*/*.py", "*/*.py"]
