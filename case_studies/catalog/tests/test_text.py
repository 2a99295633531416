from catalog_demo.text import count_error_lines, render_csv, unique_words, word_counts


def test_unique_words_keeps_first_occurrences():
    assert unique_words(["The", "cat", " the", "CAT ", "sat"]) == ["the", "cat", "sat"]


def test_unique_words_empty():
    assert unique_words([]) == []


def test_word_counts():
    assert word_counts("a b a c b a".split()) == {"a": 3, "b": 2, "c": 1}
    assert list(word_counts(["x", "y", "x"])) == ["x", "y"]


def test_word_counts_empty():
    assert word_counts([]) == {}


def test_count_error_lines():
    lines = [
        "2024-03-01 12:00:00 INFO started",
        "2024-03-01 12:00:01 ERROR disk full",
        "2024-03-01 12:00:02 CRITICAL shutting down",
        "ERROR without a timestamp",
        "2024-03-01 12:00:03 ERRORS is not a level",
    ]
    assert count_error_lines(lines) == 2


def test_count_error_lines_empty():
    assert count_error_lines([]) == 0


def test_render_csv():
    assert render_csv([("A1", "bolt", 3), ("B2", "nut", 10)]) == "A1,bolt,3\nB2,nut,10\n"


def test_render_csv_empty():
    assert render_csv([]) == ""
