"""Workload: render a generated documentation site (many Markdown pages) to HTML with Python-Markdown and common extensions."""
import hashlib
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import markdown

WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore "
         "magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo "
         "consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur").split()


def sentence(rng, n=None):
    words = [rng.choice(WORDS) for _ in range(n or rng.randint(6, 18))]
    for k in range(len(words)):
        r = rng.random()
        if r < 0.04:
            words[k] = "**%s**" % words[k]
        elif r < 0.08:
            words[k] = "*%s*" % words[k]
        elif r < 0.11:
            words[k] = "`%s()`" % words[k]
        elif r < 0.13:
            words[k] = "[%s](https://example.com/%s)" % (words[k], words[k])
        elif r < 0.14:
            words[k] = "HTML"
    return " ".join(words).capitalize() + "."


def page(rng, idx):
    parts = ["# Page %d: %s\n" % (idx, sentence(rng, 4))]
    for s in range(rng.randint(3, 6)):
        parts.append("## Section %d.%d {: #sec-%d-%d .doc }\n" % (idx, s, idx, s))
        for _ in range(rng.randint(2, 4)):
            parts.append(" ".join(sentence(rng) for _ in range(rng.randint(2, 5))) + "[^%d]\n" % rng.randint(1, 3))
        kind = rng.randrange(5)
        if kind == 0:
            parts.append("\n".join("- %s\n    1. %s" % (sentence(rng, 5), sentence(rng, 4)) for _ in range(rng.randint(3, 7))) + "\n")
        elif kind == 1:
            rows = ["| name | value | note |", "|:-----|------:|:----:|"]
            rows += ["| %s | %d | %s |" % (rng.choice(WORDS), rng.randrange(1000), sentence(rng, 3)) for _ in range(rng.randint(3, 10))]
            parts.append("\n".join(rows) + "\n")
        elif kind == 2:
            parts.append("```python\ndef %s(x):\n    return x * %d  # <comment> & more\n```\n" % (rng.choice(WORDS), rng.randrange(100)))
        elif kind == 3:
            parts.append("> %s\n> %s\n>\n> > %s\n" % (sentence(rng), sentence(rng), sentence(rng)))
        else:
            parts.append("%s\n:   %s\n\n%s\n:   %s\n" % (rng.choice(WORDS), sentence(rng), rng.choice(WORDS), sentence(rng)))
    parts.append("\n".join("[^%d]: %s" % (k, sentence(rng, 5)) for k in range(1, 4)))
    parts.append("\n*[HTML]: Hyper Text Markup Language\n")
    return "\n\n".join(parts)


def main():
    rng = random.Random(31337)
    pages = [page(rng, i) for i in range(100)]
    md = markdown.Markdown(extensions=["extra", "toc", "sane_lists", "smarty", "admonition"],
                           extension_configs={"toc": {"permalink": True}})
    digest = hashlib.sha256()
    for text in pages:
        digest.update(md.reset().convert(text).encode())
        digest.update(md.toc.encode())
    # Plain conversion, as a one-off call would do it.
    for text in pages[:30]:
        digest.update(markdown.markdown(text).encode())
    print("checksum", digest.hexdigest()[:16])


if __name__ == "__main__":
    main()
