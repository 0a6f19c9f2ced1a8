"""Which index serves a name search on Chinese names: pg_trgm (GIN, ILIKE '%q%'), a plain
btree prefix on lower(name) in "C" order, and a bigram array (GIN over the name's
characters and character pairs), on one scratch table of generated names, on the test
server (PostgreSQL 15 here) or the embedded one (`--embedded`, PostgreSQL 18).

    python -m bench.search_compare [--rows 1000000] [--queries 200] [--embedded]

Names: a family name from 100 common ones (skewed: the first few are ~7% each, as 王, 李
and 张 are), then one or two given characters from 300. Each query kind is timed on every
index, a page of 50 in name order (what the customer list shows), and its matches
checked against the semantics (prefix or substring). Prints a table, writes
bench/results/search_compare.json. docs/crm/search.md reads the figures.
"""

import argparse
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from bench.common import console, latency_table, percentiles_us, write_results
from tests.support.embedded_pg import embedded_server
from tests.support.postgres import ADMIN_URL

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕鹏辉建国建华文斌宇浩凯健俊帆帅旭宁"
    "龙林欣佳琪晨阳子涵梓轩雨萱一诺思远博文浩然欣怡可馨梦琪诗涵子墨若汐俊杰晓东志强海燕春梅秋菊冬雪立新卫东"
    "家豪嘉怡天佑宏伟永红振华德明淑珍桂兰玉兰凤英秀兰金凤国强建平丽娟丽华丽萍小红小明小燕小军婷婷晶晶亮亮"
)
SETUP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE TABLE names (id text PRIMARY KEY, name text NOT NULL)",
    # unigrams and bigrams of lower(name): the "bigram approach"
    """CREATE FUNCTION name_grams(t text) RETURNS text[] IMMUTABLE PARALLEL SAFE LANGUAGE sql
       AS $$ SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
              SELECT substr(lower(t), i, 1) AS g FROM generate_series(1, length(t)) i
              UNION ALL
              SELECT substr(lower(t), i, 2) FROM generate_series(1, length(t) - 1) i) s $$""",
]
INDEXES = {
    "trigram": "CREATE INDEX names_trgm ON names USING gin (name gin_trgm_ops)",
    "btree": 'CREATE INDEX names_key ON names ((lower(name) COLLATE "C"), id)',
    "bigram": "CREATE INDEX names_grams ON names USING gin (name_grams(name))",
}
KEY = 'lower(name) COLLATE "C"'
QUERIES = {
    "trigram": f"SELECT id FROM names WHERE name ILIKE %(like)s ORDER BY {KEY}, id LIMIT 50",
    "btree": f"SELECT id FROM names WHERE {KEY} >= %(q)s AND {KEY} < %(q)s || chr(1114111) "
    f"ORDER BY {KEY}, id LIMIT 50",
    "bigram": f"SELECT id FROM names WHERE name_grams(name) @> %(grams)s AND name LIKE %(like)s "
    f"ORDER BY {KEY}, id LIMIT 50",
}


def _load(conn: psycopg.Connection[Any], rows: int) -> dict[str, float]:
    for sql in SETUP:
        conn.execute(sql)
    given = list(GIVEN)
    conn.execute(
        """INSERT INTO names SELECT 'n' || g,
             substr(%(s)s, 1 + floor(random() ^ 2.5 * 100)::int, 1)
             || (%(g)s::text[])[1 + floor(random() * %(n)s)::int]
             || CASE WHEN random() < 0.6
                THEN (%(g)s::text[])[1 + floor(random() * %(n)s)::int] ELSE '' END
           FROM generate_series(1, %(rows)s) g""",
        {"s": SURNAMES, "g": given, "n": len(given), "rows": rows},
    )
    built = {}
    for name, ddl in INDEXES.items():
        started = time.perf_counter()
        conn.execute(ddl)
        built[name] = time.perf_counter() - started
    conn.execute("ANALYZE names")
    return built


def _grams(q: str) -> list[str]:
    q = q.lower()
    return [q] if len(q) == 1 else [q[i : i + 2] for i in range(len(q) - 1)]


def _kinds(rng: random.Random, queries: int) -> dict[str, list[str]]:
    """Query strings by kind: a family name, a two- and a three-character full name, a
    given name alone (substring only)."""
    heads = [SURNAMES[int(rng.random() ** 2.5 * 100)] for _ in range(queries)]
    return {
        "family (1 char)": heads,
        "full (2 chars)": [h + rng.choice(GIVEN) for h in heads],
        "full (3 chars)": [h + rng.choice(GIVEN) + rng.choice(GIVEN) for h in heads],
        "given only (2)": [rng.choice(GIVEN) + rng.choice(GIVEN) for _ in heads],
    }


def _time(conn: psycopg.Connection[Any], sql: str, qs: list[str]) -> list[int]:
    samples = []
    for q in qs:
        params = {"q": q.lower(), "like": f"%{q}%", "grams": _grams(q)}
        started = time.perf_counter_ns()
        conn.execute(sql, params, prepare=True).fetchall()
        samples.append(time.perf_counter_ns() - started)
    return samples


def _sizes(conn: psycopg.Connection[Any]) -> dict[str, int]:
    rows = conn.execute(
        "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relname = ANY(%s)",
        (["names_trgm", "names_key", "names_grams"],),
    ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


@contextmanager
def _database(embedded: bool) -> Iterator[tuple[str, str]]:
    name = f"sp_search_{random.randrange(16**8):08x}"
    with _server(embedded) as admin:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
            version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        try:
            yield (
                admin.rsplit("/", 1)[0] + f"/{name}"
                if "://" in admin
                else f"{admin} dbname={name}",
                version,
            )
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _server(embedded: bool) -> Iterator[str]:
    if not embedded:
        yield ADMIN_URL
        return
    with embedded_server() as server:
        yield server.conninfo()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--embedded", action="store_true")
    args = parser.parse_args()
    kinds = _kinds(random.Random(11), args.queries)
    with _database(args.embedded) as (url, version), psycopg.connect(url, autocommit=True) as conn:
        console.print(f"PostgreSQL {version}: loading {args.rows:,} names")
        built = _load(conn, args.rows)
        ctype = conn.execute("SELECT datctype FROM pg_database WHERE datname = current_database()")
        stats: dict[str, dict[str, float]] = {}
        for kind, qs in kinds.items():
            for index, sql in QUERIES.items():
                if index == "btree" and kind.startswith("given"):
                    continue  # a prefix index cannot find a given name alone
                _time(conn, sql, qs[:20])  # warm-up
                stats[f"{kind} · {index}"] = percentiles_us(_time(conn, sql, qs))
        latency_table(f"name search, {args.rows:,} names, PostgreSQL {version}", stats)
        record = {
            "rows": args.rows,
            "server": version,
            "ctype": str(ctype.fetchone()),
            "build_s": built,
            "index_bytes": _sizes(conn),
            "latency": stats,
        }
        write_results("search_compare_embedded" if args.embedded else "search_compare", record)


if __name__ == "__main__":
    main()
