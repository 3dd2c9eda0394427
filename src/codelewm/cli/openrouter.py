"""`codelewm openrouter byok-register`: register a provider key with OpenRouter (dry-run default).

Only variable NAMES are taken on the command line; the keys are read from the environment (or
`.env`) in live mode only, and the output holds a fingerprint, never a key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from codelewm.cli._common import JsonOpt, console, handle_errors, print_json
from codelewm.cli.llm_env import check_env_name, dry_run_mode, read_secret
from codelewm.llm.byok import ByokRequest, register_byok
from codelewm.llm.settings import OPENROUTER_BASE_URL

app = typer.Typer(help="OpenRouter account helpers.", no_args_is_help=True)


@app.command("byok-register")
@handle_errors
def byok_register(
    provider: Annotated[str, typer.Option("--provider", help="Provider slug, e.g. anthropic.")],
    key_env: Annotated[
        str, typer.Option("--key-env", help="NAME of the variable holding the provider key.")
    ],
    management_key_env: Annotated[
        str,
        typer.Option(
            "--management-key-env", help="NAME of the variable holding the management key."
        ),
    ] = "OPENROUTER_MANAGEMENT_KEY",
    name: Annotated[
        str, typer.Option("--name", help="A name for the credential.")
    ] = "codelewm BYOK",
    allowed_model: Annotated[
        list[str] | None,
        typer.Option("--allowed-model", help="Restrict the key to this model (repeatable)."),
    ] = None,
    fallback: Annotated[
        bool, typer.Option("--fallback", help="Put the key in the fallback section.")
    ] = False,
    base_url: Annotated[str, typer.Option("--base-url")] = OPENROUTER_BASE_URL,
    live: Annotated[bool, typer.Option("--live", help="Send the request.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show it (the default).")] = False,
    env_file: Annotated[Path, typer.Option("--env-file")] = Path(".env"),
    json_output: JsonOpt = False,
) -> None:
    """Register a provider key with OpenRouter's BYOK API (POST /byok); dry-run unless --live."""
    request = ByokRequest(
        provider=provider,
        key_env=check_env_name(key_env),
        management_key_env=check_env_name(management_key_env),
        name=name,
        allowed_models=allowed_model or None,
        is_fallback=fallback,
        base_url=base_url,
    )
    is_dry = dry_run_mode(live=live, dry_run=dry_run)
    record = register_byok(
        request,
        dry_run=is_dry,
        provider_key=None if is_dry else read_secret(key_env, env_file=env_file),
        management_key=None if is_dry else read_secret(management_key_env, env_file=env_file),
    )
    if json_output:
        print_json(record)
        return
    verb = "would POST" if record.dry_run else f"POSTed (HTTP {record.status})"
    console.print(
        f"{verb} {record.endpoint}: provider={record.provider} name={record.name!r}",
        highlight=False,
    )
    console.print(
        f"key from ${record.key_env}, management key from ${record.management_key_env}",
        highlight=False,
    )
    if record.credential:
        console.print(f"credential id: {record.credential.get('id')}", highlight=False)
