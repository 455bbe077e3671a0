"""The REST API, mounted at /api/v1/: every app's router, authentication and the error shape.

Authentication: ``Authorization: Bearer <token>`` (``frontline token create USERNAME``) or the
Django session of a logged-in user, whose unsafe requests need the CSRF token
(``X-CSRFToken``). Every error, whatever raised it, is answered as::

    {"errors": [{"field": "contacts[0].value", "message": "...", "code": "..."}]}

Docs at /api/v1/docs (Swagger UI served from our own static files, no CDN), schema at
/api/v1/openapi.json.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.urls import path, re_path
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationErrorContext
from ninja.errors import ValidationError as NinjaValidationError
from ninja.operation import Operation
from ninja.security import SessionAuth
from ninja.utils import check_csrf

from frontline.accounts.api_auth import BearerTokenAuth
from frontline.cases.api import router as cases_router
from frontline.catalog.api import router as catalog_router
from frontline.core.api import NON_FIELD, error, validation_errors
from frontline.core.errors import DomainError
from frontline.customers.api import organisations_router
from frontline.customers.api import router as customers_router
from frontline.orders.api import router as orders_router
from frontline.shipping.api import router as shipping_router

logger = logging.getLogger("frontline.api")


class CsrfFailed(HttpError):
    def __init__(self) -> None:
        super().__init__(403, "CSRF check failed")


class SessionCsrfAuth(SessionAuth):
    """The Django session of a logged-in user. Unsafe methods need the CSRF token.

    Unlike ninja's ``SessionAuth`` the CSRF check runs only when there is a logged-in session,
    so a client without one (say, with a revoked bearer token) gets 401, not a CSRF 403.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise CsrfFailed()
        return user


class FrontlineAPI(NinjaAPI):
    """NinjaAPI that keeps to the error shape where ninja does not: unknown paths under /api/v1/
    (404), wrong methods (405), and the field names of errors in list query parameters."""

    def _get_urls(self) -> list[Any]:
        urls = super()._get_urls()
        # ninja's last pattern is the root ("api-root", used to reverse the prefix): keep its
        # name, answer JSON, and catch every other unknown path below it.
        urls[-1] = path("", self._not_found, name="api-root")
        urls.append(re_path(r"^.+$", self._not_found))
        for pattern in urls:
            pattern.callback = _json_method_not_allowed(pattern.callback)  # type: ignore[arg-type]
        return urls

    def _not_found(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return _errors(request, 404, [error(None, _("No API endpoint here; see /api/v1/docs."), "not_found")])

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> NinjaValidationError:
        # As ninja's, but a flattened schema's loc is mapped back to the client's name for
        # nested locs too: ("params", "kind", 0) -> ("kind", 0), not just ("params", "kind").
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            model = context.model
            reverse: dict[tuple[Any, ...], tuple[Any, ...]] = model.__ninja_flatten_map_reverse__
            for item in context.pydantic_validation_error.errors(include_url=False):
                loc = tuple(item["loc"])
                for cut in range(len(loc), 0, -1):
                    if loc[:cut] in reverse:
                        loc = reverse[loc[:cut]] + loc[cut:]
                        break
                errors.append(
                    {"loc": (model.__ninja_param_source__, *loc), "msg": item["msg"], "type": item["type"]}
                )
        return NinjaValidationError(errors)

    def get_openapi_operation_id(self, operation: Operation) -> str:
        return operation.view_func.__name__  # unique across routers; stable in the snapshot


def _json_method_not_allowed(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """ninja answers a wrong method with a plain-text 405; answer in the error shape instead."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            message = _("%(method)s is not allowed here; use %(allowed)s.") % {
                "method": request.method,
                "allowed": allowed,
            }
            return _errors(
                request, 405, [error(None, message, "method_not_allowed")], headers={"Allow": allowed}
            )
        return response

    return wrapper


api = FrontlineAPI(
    title="Frontline API",
    version="1",
    description=(
        "Frontline's REST API. Authenticate with `Authorization: Bearer <token>` "
        "(create one with `frontline token create USERNAME`) or a logged-in session, which "
        "needs the `X-CSRFToken` header on writes. Lists take `limit` and `offset` and answer "
        "`count`, `next`, `previous` and `results`. Every error has the shape "
        '`{"errors": [{"field": ..., "message": ..., "code": ...}]}`.'
    ),
    urls_namespace="api",
    auth=[BearerTokenAuth(), SessionCsrfAuth()],
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False, "tryItOutEnabled": False}),
)

api.add_router("/customers", customers_router)
api.add_router("/organisations", organisations_router)
api.add_router("/cases", cases_router)
api.add_router("/catalog", catalog_router)
api.add_router("/orders", orders_router)
api.add_router("/shipping", shipping_router)


# --- one error shape --------------------------------------------------------------------------


def _errors(
    request: HttpRequest, status: int, errors: list[dict[str, str]], headers: dict[str, str] | None = None
) -> HttpResponse:
    response = api.create_response(request, {"errors": errors}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(NinjaValidationError)
def _on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return _errors(request, 422, validation_errors(exc.errors))


@api.exception_handler(DomainError)
def _on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _errors(request, exc.status_code, exc.as_errors())


@api.exception_handler(DjangoValidationError)
def _on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        items = [
            error(name, message, "invalid")
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        items = [error(None, message, "invalid") for message in exc.messages]
    return _errors(request, 400, items)


@api.exception_handler(Http404)
def _on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _errors(request, 404, [error(None, _("Not found."), "not_found")])


@api.exception_handler(PermissionDenied)
def _on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _errors(
        request, 403, [error(None, _("You do not have permission to do this."), "permission_denied")]
    )


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        message = _("Authentication required: send 'Authorization: Bearer <token>' or log in.")
        return _errors(
            request,
            401,
            [error(None, message, "not_authenticated")],
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    if isinstance(exc, CsrfFailed):
        message = _("CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header.")
        return _errors(request, 403, [error(None, message, "csrf_failed")])
    if isinstance(exc, AuthorizationError):
        return _errors(
            request, 403, [error(None, _("You do not have permission to do this."), "permission_denied")]
        )
    if isinstance(exc, Throttled):
        return _errors(request, 429, [error(None, _("Too many requests; slow down."), "throttled")])
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # ninja could not parse the body (json.JSONDecodeError and UnicodeDecodeError are ValueErrors).
        cause = exc.__cause__
        detail = (
            f"{cause.msg} (line {cause.lineno}, column {cause.colno})"
            if isinstance(cause, json.JSONDecodeError)
            else str(cause)
        )
        return _errors(
            request,
            400,
            [error("body", _("Malformed JSON: %(detail)s") % {"detail": detail}, "malformed_json")],
        )
    return _errors(request, exc.status_code, [error(None, exc.message, "error")])


@api.exception_handler(RequestDataTooBig)
def _on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _errors(request, 413, [error("body", _("The request body is too large."), "too_large")])


@api.exception_handler(SuspiciousOperation)
def _on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    logger.warning("suspicious API request: %s", exc)
    return _errors(request, 400, [error(None, _("Bad request."), "bad_request")])


@api.exception_handler(IntegrityError)
def _on_integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # Services check uniqueness first; this is two requests racing for the same row.
    logger.warning("integrity error on %s %s: %s", request.method, request.path, exc)
    return _errors(
        request, 409, [error(None, _("A conflicting change was made at the same time; retry."), "conflict")]
    )


@api.exception_handler(Exception)
def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Our bug. Log it with the traceback and tell Django's listeners (error reporting, the test
    # client, which re-raises it), but still answer in the API's shape.
    logger.error("unhandled API error on %s %s", request.method, request.path, exc_info=exc)
    got_request_exception.send(sender=None, request=request)
    return _errors(request, 500, [error(NON_FIELD, _("Internal server error."), "server_error")])
