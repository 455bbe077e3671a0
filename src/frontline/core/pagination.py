"""Offset/limit pagination for list pages: page links computed from a total, no extra query."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import QueryDict


@dataclass(frozen=True)
class PageLink:
    label: str
    query: str  # "?..." with offset replaced, other parameters kept
    current: bool = False
    disabled: bool = False


@dataclass(frozen=True)
class Pagination:
    offset: int
    limit: int
    total: int
    shown: int
    links: list[PageLink]

    @property
    def first_row(self) -> int:
        return self.offset + 1 if self.shown else 0

    @property
    def last_row(self) -> int:
        return self.offset + self.shown

    @property
    def has_pages(self) -> bool:
        return self.total > self.limit or self.offset > 0


def _query(params: QueryDict, offset: int) -> str:
    copy = params.copy()
    copy.pop("offset", None)
    if offset:
        copy["offset"] = str(offset)
    encoded = copy.urlencode()
    return f"?{encoded}" if encoded else "?"


def paginate(
    params: QueryDict, *, offset: int, limit: int, total: int, shown: int, window: int = 2
) -> Pagination:
    """Links to previous, next, first, last and the pages around the current one."""
    limit = max(limit, 1)
    current = offset // limit
    last = max((total - 1) // limit, 0)
    links: list[PageLink] = [
        PageLink("«", _query(params, max(offset - limit, 0)), disabled=offset <= 0),
    ]
    numbers = sorted({0, last, *range(max(current - window, 0), min(current + window, last) + 1)})
    previous = -1
    for number in numbers:
        if number - previous > 1:
            links.append(PageLink("…", "", disabled=True))
        links.append(PageLink(str(number + 1), _query(params, number * limit), current=number == current))
        previous = number
    links.append(PageLink("»", _query(params, (current + 1) * limit), disabled=current >= last))
    return Pagination(offset, limit, total, shown, links)
