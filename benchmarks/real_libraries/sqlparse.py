"""Workload: split, parse, inspect and pretty-print a generated SQL migration/report script with sqlparse."""
import hashlib
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sqlparse
from sqlparse import sql, tokens as T

TABLES = ["users", "orders", "order_items", "products", "invoices", "payments", "shipments", "audit_log"]
COLUMNS = ["id", "user_id", "order_id", "product_id", "amount", "status", "created_at", "updated_at", "name", "email", "qty", "price"]


def col(rng):
    return rng.choice(COLUMNS)


def make_statement(rng):
    kind = rng.randrange(6)
    t1, t2 = rng.sample(TABLES, 2)
    if kind == 0:
        cols = ", ".join("%s.%s" % (rng.choice("ab"), col(rng)) for _ in range(rng.randint(2, 6)))
        return ("select %s from %s a left join %s b on a.id = b.%s where a.%s > %d and b.%s in ('new', 'paid', 'sent') "
                "group by a.%s order by 1 desc limit %d;" % (cols, t1, t2, col(rng), col(rng), rng.randrange(1000), col(rng), col(rng), rng.randint(10, 500)))
    if kind == 1:
        cols = rng.sample(COLUMNS, 4)
        vals = ", ".join("(%d, '%s', %0.2f, now())" % (rng.randrange(10**6), "x%04d" % rng.randrange(10**4), rng.uniform(0, 999)) for _ in range(rng.randint(1, 5)))
        return "insert into %s (%s) values %s;" % (t1, ", ".join(cols), vals)
    if kind == 2:
        return ("update %s set %s = %s + 1, %s = 'done' where %s between %d and %d and %s is not null;"
                % (t1, col(rng), col(rng), col(rng), col(rng), rng.randrange(100), rng.randrange(100, 1000), col(rng)))
    if kind == 3:
        return ("with recent as (select %s, sum(%s) as total from %s where created_at > '2023-01-01' group by %s) "
                "select r.*, case when r.total > 1000 then 'big' when r.total > 100 then 'mid' else 'small' end as bucket "
                "from recent r join %s x on x.id = r.%s -- tag %d\n;" % (col(rng), col(rng), t1, col(rng), t2, col(rng), rng.randrange(99)))
    if kind == 4:
        return ("create table if not exists %s_%d (id integer primary key, %s varchar(255) not null, %s numeric(10, 2) default 0, "
                "created_at timestamp default current_timestamp);" % (t1, rng.randrange(100), col(rng), col(rng)))
    return "delete from %s where %s < %d /* cleanup */ and exists (select 1 from %s where %s.id = %s.%s);" % (
        t1, col(rng), rng.randrange(10**5), t2, t2, t1, col(rng))


def main():
    rng = random.Random(99)
    script = "\n".join(make_statement(rng) for _ in range(260))
    digest = hashlib.sha256()

    statements = sqlparse.split(script)
    digest.update(repr(len(statements)).encode())

    formatted = sqlparse.format(script, reindent=True, keyword_case="upper", identifier_case="lower",
                                strip_comments=True, use_space_around_operators=True)
    digest.update(formatted.encode())
    digest.update(sqlparse.format(script[: len(script) // 2], reindent_aligned=True).encode())

    kinds = {}
    names = []
    for stmt in sqlparse.parse(script):
        kinds[stmt.get_type()] = kinds.get(stmt.get_type(), 0) + 1
        for tok in stmt.flatten():
            if tok.ttype in T.Name:
                names.append(tok.value)
        for tok in stmt.tokens:
            if isinstance(tok, sql.Where):
                digest.update(str(tok).encode())
            elif isinstance(tok, (sql.Identifier, sql.IdentifierList)):
                digest.update(repr(tok.get_real_name() if isinstance(tok, sql.Identifier) else len(list(tok.get_identifiers()))).encode())
    digest.update(repr(sorted(kinds.items())).encode())
    digest.update(repr(len(names)).encode())
    print("checksum", digest.hexdigest()[:16])


if __name__ == "__main__":
    main()
