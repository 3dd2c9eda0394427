"""OpenRouter BYOK: register a provider key (e.g. Anthropic) with OpenRouter so requests bill to it.

Live: `POST {base_url}/byok` with a management key (`Authorization: Bearer ...`) and the body
`{provider, key, name, allowed_models, disabled, is_fallback}` (OpenRouter API reference, "Create a
BYOK provider credential"; the raw key is write-only there and never returned). The POST is not
retried: it creates a credential, and a retry after a lost reply could create two.

Dry-run (the default): nothing is read, nothing is sent; the record shows the request that would be
made with the key replaced by the name of its environment variable.

The record (`codelewm.openrouter_byok.v1`) holds only variable names and redacted metadata: never a
key, only a fingerprint (`[REDACTED:provider_key:sha256=<8 hex>:len=<n>]`) in live mode.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import Field, SecretStr

from codelewm.artifacts.redact import redaction
from codelewm.extras import require_extra
from codelewm.llm.errors import MissingApiKeyError, ProviderAuthError, ProviderError
from codelewm.llm.scrub import Scrubber
from codelewm.llm.settings import OPENROUTER_BASE_URL, _Settings
from codelewm.records import Record

if TYPE_CHECKING:
    import httpx

BYOK_PATH: Final = "/byok"
_KEPT_FIELDS: Final = (
    "id",
    "provider",
    "name",
    "label",
    "allowed_models",
    "disabled",
    "is_fallback",
    "created_at",
    "workspace_id",
)


class ByokRequest(_Settings):
    """What to register (no secrets: keys are passed separately, by value, from the CLI edge)."""

    provider: str = Field(min_length=1, max_length=64, description="e.g. anthropic, openai")
    key_env: str = Field(description="the variable holding the provider key")
    management_key_env: str = Field(
        description="the variable holding the OpenRouter management key"
    )
    name: str = Field(default="codelewm BYOK", max_length=200)
    allowed_models: list[str] | None = None
    disabled: bool = False
    is_fallback: bool = False
    base_url: str = OPENROUTER_BASE_URL
    timeout_s: float = Field(default=30.0, gt=0.0, le=300.0)


class ByokRecord(Record):
    """What `openrouter byok-register` did or would do (`codelewm.openrouter_byok.v1`)."""

    schema_version: Literal["codelewm.openrouter_byok.v1"] = "codelewm.openrouter_byok.v1"
    dry_run: bool
    endpoint: str
    provider: str
    name: str
    allowed_models: list[str] | None
    key_env: str
    management_key_env: str
    request_body: dict[str, Any] = Field(description="the body, the key replaced by its variable")
    key_fingerprint: str | None = Field(description="live only: redaction marker of the key")
    status: int | None = None
    credential: dict[str, Any] | None = Field(
        default=None, description="the created credential's metadata, redacted"
    )


def byok_body(request: ByokRequest, key: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "provider": request.provider,
        "key": key,
        "name": request.name,
        "disabled": request.disabled,
        "is_fallback": request.is_fallback,
    }
    if request.allowed_models is not None:
        body["allowed_models"] = list(request.allowed_models)
    return body


def register_byok(
    request: ByokRequest,
    *,
    provider_key: SecretStr | None = None,
    management_key: SecretStr | None = None,
    dry_run: bool = True,
    transport: httpx.BaseTransport | None = None,
) -> ByokRecord:
    """Dry-run: describe the request. Live: send it and return redacted metadata."""
    placeholder = f"<value of ${request.key_env}>"
    record = ByokRecord(
        dry_run=dry_run,
        endpoint=request.base_url.rstrip("/") + BYOK_PATH,
        provider=request.provider,
        name=request.name,
        allowed_models=request.allowed_models,
        key_env=request.key_env,
        management_key_env=request.management_key_env,
        request_body=byok_body(request, placeholder),
        key_fingerprint=None,
    )
    if dry_run:
        return record
    for value, env in (
        (provider_key, request.key_env),
        (management_key, request.management_key_env),
    ):
        if value is None or not value.get_secret_value():
            raise MissingApiKeyError(
                f"byok-register needs {env} to be set",
                remediation=f"Export {env} (or put it in .env), or run without --live (dry-run).",
            )
    assert provider_key is not None and management_key is not None
    scrubber = Scrubber([provider_key, management_key])
    status, data = _post(request, provider_key, management_key, scrubber, transport)
    credential = {k: data.get(k) for k in _KEPT_FIELDS if k in data}
    return record.model_copy(
        update={
            "key_fingerprint": redaction("provider_key", provider_key.get_secret_value()),
            "status": status,
            "credential": scrubber.scrub_any(credential),
        }
    )


def _post(
    request: ByokRequest,
    provider_key: SecretStr,
    management_key: SecretStr,
    scrubber: Scrubber,
    transport: httpx.BaseTransport | None,
) -> tuple[int, dict[str, Any]]:
    require_extra("httpx", "llm", feature="openrouter byok-register --live")
    import httpx

    url = request.base_url.rstrip("/") + BYOK_PATH
    headers = {"Authorization": f"Bearer {management_key.get_secret_value()}"}
    body = byok_body(request, provider_key.get_secret_value())
    try:
        with httpx.Client(
            timeout=request.timeout_s, transport=transport, trust_env=False, follow_redirects=False
        ) as client:
            response = client.post(url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        raise ProviderError(
            scrubber.scrub(f"POST {url} failed ({type(exc).__name__}); not retried"),
            remediation="Check the network and --base-url; list your BYOK keys before retrying "
            "so the credential is not created twice.",
        ) from None
    snippet = scrubber.scrub(response.text[:300])
    if response.status_code in (401, 403):
        raise ProviderAuthError(
            f"HTTP {response.status_code} from {url}: {snippet}",
            status=response.status_code,
            remediation=f"Check the management key in {request.management_key_env}.",
        )
    if response.status_code >= 300:
        raise ProviderError(
            f"HTTP {response.status_code} from {url}: {snippet}", status=response.status_code
        )
    try:
        payload = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ProviderError(f"{url} answered with a body that is not JSON: {snippet!r}") from None
    data = payload.get("data") if isinstance(payload, dict) else None
    return response.status_code, data if isinstance(data, dict) else {}
