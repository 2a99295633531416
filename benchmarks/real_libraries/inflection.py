"""Workload: an ORM-style naming layer: derive table, class, URL and label names from model/field names with inflection."""
import hashlib
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import inflection

NOUNS = ["person", "category", "address", "status", "matrix", "index", "mouse", "octopus", "ox", "child", "quiz",
         "analysis", "datum", "medium", "knife", "wife", "half", "bus", "alias", "box", "hive", "fish", "sheep",
         "series", "news", "equipment", "woman", "man", "tooth", "goose", "criterion", "vertex", "axis", "crisis",
         "invoice", "order", "line_item", "user", "account", "product", "shipment", "policy", "company", "city"]
PREFIXES = ["", "admin", "billing", "customer", "legacy", "api_v2", "HTTP", "xml", "SSL", "user"]
ACCENTED = ["Crème Brûlée", "Ærøskøbing Façade", "Jürgen's Café", "São Tomé & Príncipe", "Łódź naïve résumé"]


def main():
    rng = random.Random(8)
    digest = hashlib.sha256()
    results = []
    for _ in range(20000):
        prefix = rng.choice(PREFIXES)
        noun = rng.choice(NOUNS)
        model = (prefix + "_" + noun).strip("_")
        cls = inflection.camelize(model)
        table = inflection.tableize(cls)
        plural = inflection.pluralize(noun)
        single = inflection.singularize(plural)
        label = inflection.titleize(inflection.humanize(model + "_id"))
        url = inflection.dasherize(inflection.underscore(cls))
        lower_camel = inflection.camelize(table, False)
        results.append((cls, table, plural, single, label, url, lower_camel))
    for n in range(1, 3000):
        results.append(inflection.ordinalize(n))
    for _ in range(3000):
        title = "%s %s %d" % (rng.choice(ACCENTED), rng.choice(NOUNS), rng.randrange(1000))
        results.append(inflection.parameterize(title))
        results.append(inflection.transliterate(title))
    digest.update(repr(results).encode())
    print("checksum", digest.hexdigest()[:16])


if __name__ == "__main__":
    main()
