"""Every write to accounts: users, roles and limits, teams, API tokens, two-factor devices, policies.

Each function is one use case: keyword-only arguments, one transaction, the audit row written in
that transaction. ``by`` is the user acting, or None for the system (commands, the demo loader).
Rules a user can break raise ``frontline.core.errors`` exceptions naming the field at fault.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from frontline.audit.services import changes, record
from frontline.core import crypto
from frontline.core.errors import Conflict, DomainError, FieldErrors, NotFound, PermissionDeniedError

from . import roles, selectors, tokens, totp
from .choices import Role
from .models import APIToken, Membership, RolePolicy, Team, TOTPDevice, User

MAX_APPROVAL_LIMIT = Decimal("9999999999.99")  # max_digits=12, decimal_places=2
MAX_ACTIVE_TOKENS = 20


# --- helpers -------------------------------------------------------------------------------------


def _field_errors(exc: ValidationError) -> FieldErrors:
    if hasattr(exc, "error_dict"):
        return FieldErrors(exc.message_dict)
    return FieldErrors({"__all__": exc.messages})


def _require_manager(by: User | None) -> None:
    """Only the system or someone who manages users may do this."""
    if by is not None and not by.has_perm(roles.USER_MANAGE):
        raise PermissionDeniedError(_("Only administrators can manage users, teams and policies."))


def _require_self_or_manager(by: User | None, subject: User) -> None:
    if by is not None and by.pk != subject.pk and not by.has_perm(roles.USER_MANAGE):
        raise PermissionDeniedError(_("You can only change your own account."))


def _approval_limit(value: Any, *, role: str) -> Decimal:
    try:
        limit = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DomainError(
            _("Enter the approval limit as an amount, e.g. 250.00."), field="approval_limit"
        ) from None
    if not limit.is_finite():
        raise DomainError(_("Enter the approval limit as an amount, e.g. 250.00."), field="approval_limit")
    if limit < 0:
        raise DomainError(_("The approval limit cannot be negative."), field="approval_limit")
    if limit != limit.quantize(Decimal("0.01")):
        raise DomainError(
            _("The approval limit can have at most two decimal places."), field="approval_limit"
        )
    if limit > MAX_APPROVAL_LIMIT:
        raise DomainError(_("The approval limit is too large."), field="approval_limit")
    if role == Role.CUSTOMER and limit > 0:
        raise DomainError(
            _("Customers cannot approve claims; their approval limit must be 0."), field="approval_limit"
        )
    return limit.quantize(Decimal("0.01"))


def _valid_role(role: str) -> str:
    if role not in Role.values:
        raise DomainError(
            _("Choose one of the roles: %(roles)s.") % {"roles": ", ".join(Role.values)}, field="role"
        )
    return role


def _email_taken(email: str, *, exclude_pk: int | None = None) -> bool:
    qs = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _other_admins_exist(user: User) -> bool:
    return selectors.other_administrators_exist(user)


def _lock_user(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


def _sync(instance: Any, saved: Any, fields: list[str]) -> None:
    """Keep the caller's instance in step with the row we saved."""
    if instance is not saved:
        for name in fields:
            setattr(instance, name, getattr(saved, name))


# --- users ---------------------------------------------------------------------------------------


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str,
    role: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    approval_limit: Decimal | int | str = Decimal(0),
    by: User | None = None,
) -> User:
    """Create a staff user or a portal customer. Administrators get admin-site access (is_staff).

    Without ``password`` the account cannot sign in with a password until one is set.
    """
    _require_manager(by)
    errors: dict[str, list[str]] = {}
    username = User.normalize_username((username or "").strip())
    email = User.objects.normalize_email((email or "").strip())
    if role not in Role.values:
        errors["role"] = [_("Choose one of the roles: %(roles)s.") % {"roles": ", ".join(Role.values)}]
    if not email:
        errors["email"] = [_("Enter an email address.")]
    elif _email_taken(email):
        errors["email"] = [_("Another user already has this email address.")]
    if username and User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("This username is taken.")]
    try:
        limit = _approval_limit(approval_limit, role=role)
    except DomainError as exc:
        errors["approval_limit"] = [exc.message]
        limit = Decimal(0)

    user = User(
        username=username,
        email=email,
        role=role,
        first_name=(first_name or "").strip(),
        last_name=(last_name or "").strip(),
        approval_limit=limit,
        is_staff=role == Role.ADMIN,
    )
    try:
        user.full_clean(exclude=["password", "role", "approval_limit"], validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise FieldErrors(errors)

    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise Conflict(_("This username is taken."), field="username") from exc
    record(actor=by, verb="user.created", target=user, data={"role": role, "approval_limit": str(limit)})
    return user


@transaction.atomic
def user_update_role(*, user: User, role: str, by: User | None) -> User:
    """Change a user's role. Admin-site access follows the role; becoming a customer also drops
    the approval limit and team memberships. The last active administrator cannot be demoted."""
    _require_manager(by)
    _valid_role(role)
    locked = _lock_user(user)
    if locked.role == role:
        return locked
    if locked.role == Role.ADMIN and not _other_admins_exist(locked):
        raise Conflict(
            _("%(user)s is the last administrator; make someone else an administrator first.")
            % {"user": locked.username},
            field="role",
        )
    before = {"role": locked.role, "is_staff": locked.is_staff, "approval_limit": locked.approval_limit}
    locked.role = role
    locked.is_staff = role == Role.ADMIN
    left_teams: list[str] = []
    if role == Role.CUSTOMER:
        locked.approval_limit = Decimal("0.00")
        memberships = Membership.objects.filter(user=locked).select_related("team").order_by("team__slug")
        left_teams = [m.team.slug for m in memberships]
        memberships.delete()
    locked.save(update_fields=["role", "is_staff", "approval_limit"])
    data: dict[str, Any] = changes(
        before, {"role": locked.role, "is_staff": locked.is_staff, "approval_limit": locked.approval_limit}
    )
    if left_teams:
        data["teams_left"] = left_teams
    record(actor=by, verb="user.role_changed", target=locked, data=data)
    _sync(user, locked, ["role", "is_staff", "approval_limit"])
    return locked


@transaction.atomic
def user_set_approval_limit(*, user: User, limit: Decimal | int | str, by: User | None) -> User:
    """The largest claim this user may approve alone (0 = none)."""
    _require_manager(by)
    locked = _lock_user(user)
    new_limit = _approval_limit(limit, role=locked.role)
    if locked.approval_limit == new_limit:
        return locked
    before = {"approval_limit": locked.approval_limit}
    locked.approval_limit = new_limit
    locked.save(update_fields=["approval_limit"])
    record(
        actor=by,
        verb="user.approval_limit_set",
        target=locked,
        data=changes(before, {"approval_limit": new_limit}),
    )
    _sync(user, locked, ["approval_limit"])
    return locked


@transaction.atomic
def user_update_profile(
    *,
    user: User,
    by: User | None,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    language: str | None = None,
) -> User:
    """Name, email and interface language. Arguments left as None are not changed."""
    _require_self_or_manager(by, user)
    locked = _lock_user(user)
    before = {f: getattr(locked, f) for f in ("first_name", "last_name", "email", "language")}
    errors: dict[str, list[str]] = {}
    if first_name is not None:
        locked.first_name = first_name.strip()
    if last_name is not None:
        locked.last_name = last_name.strip()
    if email is not None:
        email = User.objects.normalize_email(email.strip())
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Enter a valid email address.")]
        else:
            if _email_taken(email, exclude_pk=locked.pk):
                errors["email"] = [_("Another user already has this email address.")]
        locked.email = email
    if language is not None:
        if language and language not in {code for code, _name in settings.LANGUAGES}:
            errors["language"] = [_("Choose one of the offered languages.")]
        locked.language = language
    if not errors:
        try:
            locked.full_clean(exclude=["password", "username"], validate_unique=False)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise FieldErrors(errors)
    after = {f: getattr(locked, f) for f in before}
    diff = changes(before, after)
    if not diff:
        return locked
    locked.save(update_fields=list(diff))
    record(actor=by, verb="user.profile_updated", target=locked, data=diff)
    _sync(user, locked, list(before))
    return locked


@transaction.atomic
def user_set_active(*, user: User, is_active: bool, by: User | None) -> User:
    """Deactivate (no sign-in, tokens stop working) or reactivate a user."""
    _require_manager(by)
    locked = _lock_user(user)
    if locked.is_active == is_active:
        return locked
    if by is not None and by.pk == locked.pk and not is_active:
        raise DomainError(_("You cannot deactivate your own account."), field="is_active")
    if (
        not is_active
        and (locked.role == Role.ADMIN or locked.is_superuser)
        and not _other_admins_exist(locked)
    ):
        raise Conflict(
            _("%(user)s is the last administrator and cannot be deactivated.") % {"user": locked.username},
            field="is_active",
        )
    locked.is_active = is_active
    locked.save(update_fields=["is_active"])
    record(actor=by, verb="user.activated" if is_active else "user.deactivated", target=locked)
    _sync(user, locked, ["is_active"])
    return locked


# --- teams ---------------------------------------------------------------------------------------


def _team_fields(*, name: str, slug: str, email: str, exclude_pk: int | None) -> tuple[str, str, str]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    slug = slugify(slug or name)
    email = (email or "").strip()
    others = Team.objects.exclude(pk=exclude_pk) if exclude_pk else Team.objects.all()
    if not name:
        errors["name"] = [_("Give the team a name.")]
    elif len(name) > 100:
        errors["name"] = [_("Team names have at most 100 characters.")]
    elif others.filter(name__iexact=name).exists():
        errors["name"] = [_("A team with this name already exists.")]
    if name and not slug:
        errors["slug"] = [_("Give the team a short name made of letters, digits or dashes.")]
    elif slug and others.filter(slug=slug).exists():
        errors["slug"] = [_("Another team already uses this short name.")]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Enter a valid email address.")]
    if errors:
        raise FieldErrors(errors)
    return name, slug[:100], email


@transaction.atomic
def team_create(
    *, name: str, by: User | None, slug: str = "", description: str = "", email: str = ""
) -> Team:
    _require_manager(by)
    name, slug, email = _team_fields(name=name, slug=slug, email=email, exclude_pk=None)
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name, slug=slug, description=description.strip(), email=email)
    except IntegrityError as exc:
        raise Conflict(_("A team with this name already exists."), field="name") from exc
    record(actor=by, verb="team.created", target=team, data={"name": name, "slug": slug})
    return team


@transaction.atomic
def team_update(
    *, team: Team, by: User | None, name: str, slug: str = "", description: str = "", email: str = ""
) -> Team:
    _require_manager(by)
    locked = Team.objects.select_for_update().get(pk=team.pk)
    name, slug, email = _team_fields(name=name, slug=slug or locked.slug, email=email, exclude_pk=locked.pk)
    before = {
        "name": locked.name,
        "slug": locked.slug,
        "description": locked.description,
        "email": locked.email,
    }
    after = {"name": name, "slug": slug, "description": description.strip(), "email": email}
    diff = changes(before, after)
    if not diff:
        return locked
    for field, value in after.items():
        setattr(locked, field, value)
    locked.save(update_fields=[*diff, "updated_at"])
    record(actor=by, verb="team.updated", target=locked, data=diff)
    _sync(team, locked, list(after))
    return locked


@transaction.atomic
def team_add_member(*, team: Team, user: User, by: User | None, is_lead: bool = False) -> Membership:
    """Put a staff user in a team (optionally as its lead). Customers cannot join teams."""
    _require_manager(by)
    if user.role == Role.CUSTOMER:
        raise DomainError(_("Customers cannot be members of a team."), field="user")
    if not user.is_active:
        raise DomainError(_("%(user)s is deactivated.") % {"user": user.username}, field="user")
    if Membership.objects.filter(team=team, user=user).exists():
        raise Conflict(
            _("%(user)s is already in %(team)s.") % {"user": user.username, "team": team.name}, field="user"
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(team=team, user=user, is_lead=is_lead)
    except IntegrityError as exc:
        raise Conflict(
            _("%(user)s is already in %(team)s.") % {"user": user.username, "team": team.name}, field="user"
        ) from exc
    record(
        actor=by,
        verb="team.member_added",
        target=team,
        data={"user_id": user.pk, "username": user.username, "is_lead": is_lead},
    )
    return membership


@transaction.atomic
def team_member_set_lead(*, team: Team, user: User, is_lead: bool, by: User | None) -> Membership:
    _require_manager(by)
    membership = Membership.objects.select_for_update().filter(team=team, user=user).first()
    if membership is None:
        raise NotFound(
            _("%(user)s is not in %(team)s.") % {"user": user.username, "team": team.name}, field="user"
        )
    if membership.is_lead != is_lead:
        membership.is_lead = is_lead
        membership.save(update_fields=["is_lead"])
        record(
            actor=by,
            verb="team.lead_changed",
            target=team,
            data={"user_id": user.pk, "username": user.username, "is_lead": is_lead},
        )
    return membership


@transaction.atomic
def team_remove_member(*, team: Team, user: User, by: User | None) -> None:
    _require_manager(by)
    deleted, _rows = Membership.objects.filter(team=team, user=user).delete()
    if not deleted:
        raise NotFound(
            _("%(user)s is not in %(team)s.") % {"user": user.username, "team": team.name}, field="user"
        )
    record(
        actor=by,
        verb="team.member_removed",
        target=team,
        data={"user_id": user.pk, "username": user.username},
    )


# --- API tokens ----------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(
    *, user: User, name: str, expires_at: datetime | None = None, by: User | None
) -> tuple[APIToken, str]:
    """A new bearer token for ``user``. Returns the row and the raw token, which is never stored
    and cannot be shown again."""
    _require_self_or_manager(by, user)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Name the token after where it is used, e.g. 'reporting script'."), field="name")
    if len(name) > 100:
        raise DomainError(_("Token names have at most 100 characters."), field="name")
    if not user.is_active:
        raise DomainError(_("%(user)s is deactivated.") % {"user": user.username}, field="user")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(_("The expiry date must be in the future."), field="expires_at")
    _lock_user(user)
    active = APIToken.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    if active.count() >= MAX_ACTIVE_TOKENS:
        raise Conflict(
            _("You have %(count)d active tokens; revoke one you no longer use first.")
            % {"count": MAX_ACTIVE_TOKENS},
            field="name",
        )
    for _attempt in range(5):
        prefix = tokens.new_prefix()
        if not APIToken.objects.filter(key_prefix=prefix).exists():
            break
    else:  # pragma: no cover - 48 random bits colliding five times in a row
        raise Conflict(_("Could not create a token; try again."))
    raw = tokens.compose(prefix)
    token = APIToken.objects.create(
        user=user, name=name, key_prefix=prefix, key_hash=tokens.digest(raw), expires_at=expires_at
    )
    record(
        actor=by,
        verb="api_token.created",
        target=token,
        data={
            "user_id": user.pk,
            "username": user.username,
            "name": name,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: APIToken, by: User | None) -> APIToken:
    locked = APIToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    _require_self_or_manager(by, locked.user)
    if not locked.can_revoke():
        raise Conflict(_("This token is already revoked."))
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    record(
        actor=by,
        verb="api_token.revoked",
        target=locked,
        data={"user_id": locked.user_id, "username": locked.user.username},
    )
    _sync(token, locked, ["revoked_at"])
    return locked


# --- two-factor authentication -------------------------------------------------------------------


@transaction.atomic
def totp_begin(*, user: User) -> tuple[TOTPDevice, str]:
    """Start (or restart) setting up an authenticator app. Returns the unconfirmed device and its
    secret; the secret is stored encrypted."""
    _lock_user(user)
    device = TOTPDevice.objects.select_for_update().filter(user=user).first()
    if device is not None and device.is_confirmed:
        raise Conflict(
            _("Two-factor authentication is already on. Turn it off first to use a new authenticator.")
        )
    secret = totp.new_secret()
    if device is None:
        device = TOTPDevice.objects.create(user=user, encrypted_secret=crypto.encrypt(secret))
    else:
        device.encrypted_secret = crypto.encrypt(secret)
        device.last_used_step = 0
        device.save(update_fields=["encrypted_secret", "last_used_step", "updated_at"])
    record(actor=user, verb="totp.setup_started", target=user)
    return device, secret


@transaction.atomic
def totp_confirm(*, user: User, code: str) -> TOTPDevice:
    """Turn two-factor authentication on once the user proves the app shows the right codes."""
    _lock_user(user)
    device = TOTPDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        raise NotFound(_("Start the two-factor set-up first."), field="code")
    if device.is_confirmed:
        raise Conflict(_("Two-factor authentication is already on."), field="code")
    step = totp.matching_step(crypto.decrypt(device.encrypted_secret), code)
    if step is None:
        raise DomainError(
            _(
                "That code is not right. Enter the 6-digit code your app shows now, and check the phone's clock."
            ),
            field="code",
            code="invalid_code",
        )
    device.confirmed_at = timezone.now()
    device.last_used_step = step
    device.save(update_fields=["confirmed_at", "last_used_step", "updated_at"])
    record(actor=user, verb="totp.enabled", target=user)
    return device


@transaction.atomic
def totp_disable(*, user: User, by: User | None) -> None:
    """Turn two-factor authentication off (the user, or an administrator when a phone is lost)."""
    _require_self_or_manager(by, user)
    _lock_user(user)
    deleted, _rows = TOTPDevice.objects.filter(user=user).delete()
    if not deleted:
        raise NotFound(_("Two-factor authentication is not set up."))
    record(actor=by, verb="totp.disabled", target=user, data={"by_self": by is not None and by.pk == user.pk})


# --- policies ------------------------------------------------------------------------------------


@transaction.atomic
def role_policy_set(*, role: str, require_two_factor: bool, by: User | None) -> RolePolicy:
    """Whether users of ``role`` must use two-factor authentication."""
    _require_manager(by)
    _valid_role(role)
    policy = RolePolicy.objects.select_for_update().filter(role=role).first()
    if policy is None:
        policy = RolePolicy.objects.create(role=role, require_two_factor=require_two_factor)
        before = {"require_two_factor": False}
    elif policy.require_two_factor == require_two_factor:
        return policy
    else:
        before = {"require_two_factor": policy.require_two_factor}
        policy.require_two_factor = require_two_factor
        policy.save(update_fields=["require_two_factor"])
    record(
        actor=by,
        verb="role_policy.changed",
        target=policy,
        data={"role": role, **changes(before, {"require_two_factor": require_two_factor})},
    )
    return policy


# --- availability --------------------------------------------------------------------------------


def _leads_a_team_of(by: User, subject: User) -> bool:
    """``by`` is the lead of a team ``subject`` is a member of."""
    return Membership.objects.filter(
        user=by, is_lead=True, team__in=Membership.objects.filter(user=subject).values("team")
    ).exists()


@transaction.atomic
def user_set_availability(*, user: User, availability: str, by: User | None) -> User:
    """Online, away or offline: automatic case assignment only picks agents who are online.

    Users set their own; a lead of one of their teams or an administrator may set it for them
    (an agent who left without signing off)."""
    from .choices import Availability

    if availability not in Availability.values:
        raise DomainError(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Availability.values)},
            field="availability",
        )
    if (
        by is not None
        and by.pk != user.pk
        and not by.has_perm(roles.USER_MANAGE)
        and not _leads_a_team_of(by, user)
    ):
        raise PermissionDeniedError(_("Only the user, a lead of their team or an administrator can do this."))
    locked = _lock_user(user)
    if locked.role == Role.CUSTOMER:
        raise DomainError(_("Customers have no availability status."), field="user")
    if locked.availability == availability:
        return locked
    before = {"availability": locked.availability}
    locked.availability = availability
    locked.save(update_fields=["availability"])
    record(
        actor=by,
        verb="user.availability_changed",
        target=locked,
        data=changes(before, {"availability": availability}),
    )
    _sync(user, locked, ["availability"])
    return locked
