"""Bodies and records of the signing service: ``sign_urls`` request and answer, principals, API keys."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel, Field

__all__ = ["ApiKeyRecord", "Principal", "SignRequest", "SignResponse"]


class SignRequest(BaseModel):
    """Body of ``POST /sign_urls``."""

    urls: list[str] = Field(description="URLs to sign (at most 64).")
    duration_seconds: int | None = Field(
        default=None, description="Validity in seconds; the service's default when absent."
    )


class SignResponse(BaseModel):
    """Answer of ``POST /sign_urls``."""

    hrefs: dict[str, str] = Field(description="Each requested URL and its signed form.")
    expiry: datetime = Field(description="When the signed URLs expire (ISO 8601, with time zone).")


@dataclass(frozen=True)
class Principal:
    """Who made a request: a user, and how they proved it (``api_key`` or ``bearer``)."""

    username: str
    method: str
    access_key: str | None = None


@dataclass
class ApiKeyRecord:
    """An API key known to the service."""

    secret_key: str
    owner: str
    description: str = ""
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
