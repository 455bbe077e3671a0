"""The catalog REST API (mounted under /api/v1/ by frontline.config.api)."""

from ninja import Router

router = Router(tags=["catalog"])
