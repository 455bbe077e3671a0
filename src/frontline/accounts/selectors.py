"""Reads for accounts: token and code checks, two-factor policy, staff and team lists.

Two checks here record one field as they read, because the check and the record must be one
atomic step: ``api_token_authenticate`` stamps ``last_used_at`` (at most once a minute) and
``totp_verify`` moves ``last_used_step`` forward so a code cannot be used twice. Both are single
conditional UPDATEs, safe under concurrency.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from frontline.core import crypto
from frontline.core.errors import NotFound

from . import tokens, totp
from .choices import STAFF_ROLES, Role
from .models import APIToken, Membership, RolePolicy, Team, TOTPDevice, User

LAST_USED_RESOLUTION = timedelta(minutes=1)
_NO_MATCH_DIGEST = tokens.digest("fl_000000000000_no-such-token-no-such-token")


# --- API tokens ----------------------------------------------------------------------------------


def api_token_authenticate(raw: str) -> User | None:
    """The active user a raw bearer token belongs to, or None (malformed, unknown, revoked,
    expired, or the user is deactivated)."""
    prefix = tokens.prefix_of(raw)
    if prefix is None:
        return None
    token = APIToken.objects.select_related("user").filter(key_prefix=prefix).first()
    presented = tokens.digest(raw)
    if token is None:
        hmac.compare_digest(presented, _NO_MATCH_DIGEST)  # same work whether or not the prefix exists
        return None
    if not hmac.compare_digest(presented, token.key_hash):
        return None
    if not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        APIToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
    return token.user


def api_token_list_for_user(user: User) -> list[APIToken]:
    return list(APIToken.objects.filter(user=user).order_by("revoked_at", "-created_at", "-id"))


def api_token_get_for_user(*, user: User, pk: int) -> APIToken:
    token = APIToken.objects.filter(user=user, pk=pk).first()
    if token is None:
        raise NotFound("No such token.")
    return token


def api_token_get_by_prefix(prefix: str) -> APIToken | None:
    return APIToken.objects.select_related("user").filter(key_prefix=prefix).first()


# --- two-factor authentication -------------------------------------------------------------------


def totp_verify(*, user: User, code: str) -> bool:
    """True when ``code`` is right for the user's confirmed authenticator (one step of clock drift
    either way) and newer than the last code accepted. Accepting a code uses it up."""
    device = TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        return False
    step = totp.matching_step(crypto.decrypt(device.encrypted_secret), code)
    if step is None:
        return False
    used = TOTPDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(last_used_step=step)
    return used == 1


def user_has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def two_factor_required(user: User) -> bool:
    """Whether the user's role policy requires two-factor authentication."""
    return RolePolicy.objects.filter(role=user.role, require_two_factor=True).exists()


def two_factor_setup_missing(user: User) -> bool:
    """Policy requires two-factor authentication but the user has no confirmed device (one query)."""
    confirmed = TOTPDevice.objects.filter(user_id=OuterRef("pk"), confirmed_at__isnull=False)
    return (
        User.objects.filter(
            pk=user.pk,
            role__in=RolePolicy.objects.filter(require_two_factor=True).values("role"),
        )
        .filter(~Exists(confirmed))
        .exists()
    )


@dataclass(frozen=True)
class TwoFactorStatus:
    enabled: bool
    enabled_at: datetime | None
    required: bool
    pending: bool  # set-up started, not yet confirmed
    secret: str = ""  # only while pending
    uri: str = ""
    qr_svg: str = ""

    @property
    def grouped_secret(self) -> str:
        return totp.grouped(self.secret)


def two_factor_status(user: User) -> TwoFactorStatus:
    device = TOTPDevice.objects.filter(user=user).first()
    required = two_factor_required(user)
    if device is None:
        return TwoFactorStatus(enabled=False, enabled_at=None, required=required, pending=False)
    if device.is_confirmed:
        return TwoFactorStatus(enabled=True, enabled_at=device.confirmed_at, required=required, pending=False)
    secret = crypto.decrypt(device.encrypted_secret)
    uri = totp.provisioning_uri(secret, account=user.get_username())
    return TwoFactorStatus(
        enabled=False,
        enabled_at=None,
        required=required,
        pending=True,
        secret=secret,
        uri=uri,
        qr_svg=totp.qr_svg(uri),
    )


# --- users and teams -----------------------------------------------------------------------------


def user_list_staff(
    *, role: str = "", team: Team | None = None, include_inactive: bool = False
) -> QuerySet[User]:
    """Staff users (every role but customer), by name."""
    qs = User.objects.filter(role__in=[r.value for r in STAFF_ROLES])
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if role:
        qs = qs.filter(role=role)
    if team is not None:
        qs = qs.filter(memberships__team=team)
    return qs.order_by("first_name", "last_name", "username")


def team_list_with_members() -> list[Team]:
    """Every team with its memberships and users loaded (two queries, whatever the number of teams).

    ``team.memberships.all()`` lists leads first, then members by username.
    """
    memberships = Membership.objects.select_related("user").order_by("-is_lead", "user__username")
    return list(Team.objects.prefetch_related(Prefetch("memberships", queryset=memberships)).order_by("name"))


def other_administrators_exist(user: User) -> bool:
    """Whether an active administrator (role admin, or superuser) other than ``user`` exists."""
    return (
        User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True)
        .exclude(pk=user.pk)
        .exists()
    )


def user_get_by_username(username: str) -> User | None:
    return User.objects.filter(username=username).first()
