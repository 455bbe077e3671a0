"""Full-text search behind one interface: SQLite FTS5 or PostgreSQL tsvector + GIN.

Every searchable kind of object (customers now; cases, products, orders... later) registers a
small integer code. A document is the searchable text of one object; it is written by the
service that changes the object, in the same transaction. Queries are prefix matches on every
word ("just harr" finds "Justine Harrington"; very common words such as "is" or "my" are not
required, see ``STOP_WORDS``), ranked by BM25 (SQLite) or ts_rank (PostgreSQL).

Text is normalised in Python before it reaches either engine (lower case, accents removed,
punctuation split), so both engines see the same words and behave the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.db import connection

KIND_CODES: dict[str, int] = {}
_ROWID_SHIFT = 40  # SQLite rowid = kind code << 40 | object id
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 8


def register_kind(kind: str, code: int) -> None:
    """Reserve ``code`` for ``kind``. Codes are stored in the index: never reuse or renumber one."""
    existing = KIND_CODES.get(kind)
    if existing is not None and existing != code:
        raise ValueError(f"search kind {kind!r} is already registered as {existing}")
    if code in KIND_CODES.values() and existing is None:
        raise ValueError(f"search code {code} is already taken")
    KIND_CODES[kind] = code


def _code(kind: str) -> int:
    try:
        return KIND_CODES[kind]
    except KeyError as exc:
        raise ValueError(f"search kind {kind!r} is not registered") from exc


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_WORD.findall(stripped)).replace("_", " ")


def words(text: str) -> list[str]:
    return normalise(text).split()


def digit_suffixes(digits: str, shortest: int = 4) -> list[str]:
    """Every suffix of a phone number, so a prefix query on them is a substring search."""
    only = re.sub(r"\D", "", digits)
    return [only[i:] for i in range(0, max(len(only) - shortest + 1, 0))]


def _vendor() -> str:
    return connection.vendor


def _rowid(code: int, object_id: int) -> int:
    return (code << _ROWID_SHIFT) | object_id


def index_document(kind: str, object_id: int, parts: Iterable[str]) -> None:
    index_many(kind, [(object_id, parts)])


def index_many(kind: str, documents: Iterable[tuple[int, Iterable[str]]]) -> None:
    code = _code(kind)
    rows = [(object_id, normalise(" ".join(p for p in parts if p))) for object_id, parts in documents]
    if not rows:
        return
    with connection.cursor() as cursor:
        if _vendor() == "postgresql":
            cursor.executemany(
                "INSERT INTO core_search_document (kind, object_id, body) VALUES (%s, %s, %s) "
                "ON CONFLICT (kind, object_id) DO UPDATE SET body = EXCLUDED.body",
                [(code, object_id, body) for object_id, body in rows],
            )
        else:
            cursor.executemany(
                "DELETE FROM core_search_fts WHERE rowid = %s",
                [(_rowid(code, object_id),) for object_id, _ in rows],
            )
            cursor.executemany(
                "INSERT INTO core_search_fts (rowid, body) VALUES (%s, %s)",
                [(_rowid(code, object_id), body) for object_id, body in rows],
            )


def remove_document(kind: str, object_id: int) -> None:
    code = _code(kind)
    with connection.cursor() as cursor:
        if _vendor() == "postgresql":
            cursor.execute(
                "DELETE FROM core_search_document WHERE kind = %s AND object_id = %s", [code, object_id]
            )
        else:
            cursor.execute("DELETE FROM core_search_fts WHERE rowid = %s", [_rowid(code, object_id)])


#: How many of the newest matches are ranked (see ``search_ids``).
RANK_WINDOW = 500

#: Words too common to narrow a search, in the languages Frontline speaks. A query keeps them for
#: ranking but does not require them: "where is my order" matches every document with "order*"
#: and ranks first those that also say "where", "is" and "my". A query of nothing else keeps them.
STOP_WORDS = frozenset(
    # English
    "a an and are as at be but by can could did do does for from had has have he her his how i if in "
    "into is it its me my no not of on or our she so that the their them there they this to was we "
    "were what when where which who why will with would you your "
    # German
    "aber als am an auch auf aus bei bin bis das dass dem den der des die du ein eine einem einen "
    "einer er es fur hat ich ihr im in ist ja mein meine mit nach nicht noch oder sie sind und uns "
    "von war was wie wir wo zu zum zur "
    # Spanish, French, Italian, Dutch (the most common only)
    "al como con de del el en es la las lo los mi mis no para por que se su un una y "
    "au ce dans des du est et il je le les ma mes mon ne pas pour qui sur une vous "
    "che di gli il ho mio non per sono "
    "de een het ik in is mijn niet van wat waar".split()
)


def _query_words(query: str) -> list[str]:
    return words(query)[:MAX_QUERY_WORDS]


def _required_words(terms: list[str], query: str) -> list[str]:
    """The words a match must contain: in a sentence-like query of three words or more, all but
    the stop words (all of them if nothing else is left). Short queries are names ("De Vries",
    "Will Smith") and addresses ("a@example.com") whose every word counts."""
    if len(terms) < 3 or "@" in query:
        return terms
    content = [term for term in terms if term not in STOP_WORDS]
    return content or terms


def _prefix(term: str, *, last: bool) -> bool:
    """Words are prefixes ("harr" finds "Harrington"), except one- and two-letter words before the
    last: as a prefix, "is" would expand to thousands of index terms for nothing."""
    return last or len(term) > 2


def _tsquery(terms: list[str], joiner: str) -> str:
    return joiner.join(
        f"{term}:*" if _prefix(term, last=i == len(terms) - 1) else term for i, term in enumerate(terms)
    )


def _fts5_match(terms: list[str]) -> str:
    return " ".join(
        f'"{term}"*' if _prefix(term, last=i == len(terms) - 1) else f'"{term}"'
        for i, term in enumerate(terms)
    )


def search_ids(kind: str, query: str, *, limit: int = 50, offset: int = 0) -> list[int]:
    """Ids of the objects of ``kind`` matching every word of ``query`` as a prefix, best first.

    Only the ``RANK_WINDOW`` newest matches (highest ids) are ranked: a word in every other
    message ("order") would otherwise score hundreds of thousands of rows per keystroke. Below
    that many matches the ranking is exact; above it, the best of the most recent ones win,
    which is what a helpdesk search wants (docs/adr/0001-search-index.md).
    """
    terms = _query_words(query)
    if not terms:
        return []
    required = _required_words(terms, query)
    code = _code(kind)
    with connection.cursor() as cursor:
        if _vendor() == "postgresql":
            cursor.execute(
                "SELECT object_id FROM ("
                " SELECT object_id, vector FROM core_search_document"
                " WHERE kind = %s AND vector @@ to_tsquery('simple', %s)"
                " ORDER BY object_id DESC LIMIT %s) recent, to_tsquery('simple', %s) q "
                "ORDER BY ts_rank(vector, q) DESC, object_id DESC LIMIT %s OFFSET %s",
                [code, _tsquery(required, " & "), RANK_WINDOW, _tsquery(terms, " | "), limit, offset],
            )
            return [row[0] for row in cursor.fetchall()]
        match = _fts5_match(required)
        low = _rowid(code, 0)
        high = _rowid(code + 1, 0) - 1
        cursor.execute(
            "SELECT rowid FROM ("
            " SELECT rowid, rank FROM core_search_fts WHERE core_search_fts MATCH %s"
            " AND rowid BETWEEN %s AND %s ORDER BY rowid DESC LIMIT %s) "
            "ORDER BY rank, rowid DESC LIMIT %s OFFSET %s",
            [match, low, high, RANK_WINDOW, limit, offset],
        )
        mask = (1 << _ROWID_SHIFT) - 1
        return [row[0] & mask for row in cursor.fetchall()]


def count_matches(kind: str, query: str, *, cap: int = 10_000) -> int:
    """How many objects match (counted up to ``cap``, enough for a paginator)."""
    terms = _query_words(query)
    if not terms:
        return 0
    required = _required_words(terms, query)
    code = _code(kind)
    with connection.cursor() as cursor:
        if _vendor() == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM (SELECT 1 FROM core_search_document "
                "WHERE kind = %s AND vector @@ to_tsquery('simple', %s) LIMIT %s) s",
                [code, _tsquery(required, " & "), cap],
            )
        else:
            match = _fts5_match(required)
            cursor.execute(
                "SELECT count(*) FROM (SELECT 1 FROM core_search_fts WHERE core_search_fts MATCH %s "
                "AND rowid BETWEEN %s AND %s LIMIT %s)",
                [match, _rowid(code, 0), _rowid(code + 1, 0) - 1, cap],
            )
        return int(cursor.fetchone()[0])


def clear_kind(kind: str) -> None:
    code = _code(kind)
    with connection.cursor() as cursor:
        if _vendor() == "postgresql":
            cursor.execute("DELETE FROM core_search_document WHERE kind = %s", [code])
        else:
            cursor.execute(
                "DELETE FROM core_search_fts WHERE rowid BETWEEN %s AND %s",
                [_rowid(code, 0), _rowid(code + 1, 0) - 1],
            )
