"""Workload: clean and summarize a batch of scraped records with boltons (iterutils, strutils, dictutils, cacheutils, statsutils, urlutils)."""
import hashlib
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from boltons import cacheutils, dictutils, iterutils, statsutils, strutils, urlutils

HOSTS = ["example.com", "shop.example.org", "api.test.io", "blog.sample.net", "cdn.assets.dev"]
PATHS = ["products", "item", "search", "users", "posts", "tags", "v2", "download", "static", "img"]
KEYS = ["q", "page", "sort", "lang", "ref", "utm_source", "id"]
TITLES = ["CamelCaseTitle", "HTTPServerError", "ÜberCool Café Menu", "  spaced   out\ttext ", "snake_case_name",
          "\x1b[31mRed Alert\x1b[0m", "Résumé de l'été", "#python #boltons rocks", "XMLHttpRequest2Parser"]


def make_record(rng, i):
    path = "/".join(rng.choice(PATHS) for _ in range(rng.randint(1, 4)))
    query = "&".join("%s=%s" % (k, rng.randrange(100)) for k in rng.sample(KEYS, rng.randint(0, 4)))
    url = "https://%s/%s%s%s" % (rng.choice(HOSTS), path, "?" + query if query else "", "#top" if rng.random() < 0.2 else "")
    return {
        "id": i,
        "url": url,
        "title": rng.choice(TITLES) + " %d" % rng.randrange(50),
        "size": rng.randrange(10, 10**9),
        "latency_ms": rng.lognormvariate(3, 0.8),
        "tags": [rng.choice(["a", "b", "c", "d", None, ""]) for _ in range(rng.randint(0, 5))],
        "meta": {"nested": {"depth": [rng.randrange(10), {"x": None, "y": rng.randrange(5)}], "empty": {}}, "note": None},
    }


def drop_empty(path, key, value):
    if value is None or value == "" or value == {} or value == []:
        return False
    return True


def main():
    rng = random.Random(1999)
    records = [make_record(rng, i) for i in range(14000)]
    out = []

    # Deep-clean nested structures.
    cleaned = iterutils.remap(records, visit=drop_empty)
    out.append(sum(len(r) for r in cleaned))
    out.append(len(iterutils.research(records[:1500], query=lambda p, k, v: isinstance(v, int) and v == 3)))
    out.append(sum(iterutils.get_path(r, ("meta", "nested", "depth", 0)) for r in records))

    # URL handling with an LRU cache in front of parsing.
    lru = cacheutils.LRU(max_size=2000)
    hosts = dictutils.OrderedMultiDict()
    for r in records:
        u = lru.get(r["url"])
        if u is None:
            u = urlutils.URL(r["url"])
            lru[r["url"]] = u
        hosts.add(u.host, u.path)
        out.append(u.to_text()[-12:]) if r["id"] % 500 == 0 else None
        u2 = u.navigate("../other?page=2")
        if r["id"] % 700 == 0:
            out.append(u2.to_text())
    out.append([(h, len(hosts.getlist(h))) for h in hosts.keys()])
    out.append(len(hosts.inverted()))

    # Text normalization.
    for r in records:
        t = strutils.strip_ansi(r["title"])
        out.append((strutils.slugify(t), strutils.camel2under(t.replace(" ", "")), strutils.asciify(t)))
    out.append([strutils.bytes2human(r["size"], 1) for r in records[:2000]][-5:])
    out.append(strutils.format_int_list(sorted({r["id"] % 997 for r in records[::7]})))
    out.append(len(strutils.parse_int_list("1-300,400-450,999,1000-1500")))
    out.append([strutils.find_hashtags(r["title"]) for r in records[:3000]][-3:])

    # Grouping and statistics.
    by_host = iterutils.bucketize(records, key=lambda r: urlutils.URL(r["url"]).host if r["id"] % 3 == 0 else r["url"].split("/")[2])
    out.append(sorted((k, len(v)) for k, v in by_host.items()))
    out.append(len(iterutils.unique([r["title"] for r in records], key=str.lower)))
    out.append(sum(len(c) for c in iterutils.chunked(records, 64)))
    out.append(len(list(iterutils.windowed([r["size"] for r in records], 5))))
    out.append(iterutils.flatten([r["tags"] for r in records[:3000]]).count("a"))
    stats = statsutils.Stats([r["latency_ms"] for r in records])
    out.append([round(x, 6) for x in (stats.mean, stats.median, stats.std_dev, stats.get_quantile(0.95), stats.trimean)])
    out.append(stats.get_histogram_counts(bins=10))
    print("checksum", hashlib.sha256(repr(out).encode()).hexdigest()[:16])


if __name__ == "__main__":
    main()
