"""Helpers for views that serve both a full page and an HTMX fragment from one code path."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def htmx_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect the whole page: HX-Redirect for HTMX requests, 302 otherwise."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def wants_fragment(request: HttpRequest, target: str) -> bool:
    """True when HTMX asks to replace the element with id ``target`` (``HX-Target``).

    A history restore (the user went back and the page is not cached) gets the full page.
    """
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request and htmx.target == target  # type: ignore[union-attr]
