"""Text and log-line helpers."""
import re


def unique_words(words):
    """The distinct words, lower-cased and stripped, in order of first appearance."""
    seen = []
    result = []
    for word in words:
        key = word.strip().lower()
        if key not in seen:
            seen.append(key)
            result.append(key)
    return result


def word_counts(words):
    """How many times each word occurs, as a dict in order of first appearance."""
    counts = {}
    for word in words:
        counts[word] = counts.get(word, 0) + 1
    return counts


def count_error_lines(lines):
    """The number of log lines that start with a timestamp and an ERROR or CRITICAL level."""
    count = 0
    for line in lines:
        if re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (ERROR|CRITICAL) ", line):
            count += 1
    return count


def render_csv(rows):
    """CSV text of (sku, name, quantity) rows, one line each, no header."""
    out = ""
    for sku, name, quantity in rows:
        out += sku
        out += ","
        out += name
        out += ","
        out += str(quantity)
        out += "\n"
    return out
