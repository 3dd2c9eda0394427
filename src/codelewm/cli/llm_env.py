"""The environment edge of the LLM commands: the only place that reads the dry-run switch and keys.

- `CODELEWM_LLM_DRY_RUN`: dry-run unless it is `0` (or `false`/`no`/`off`); `--live` / `--dry-run`
  override it. In dry-run no key variable is read and no `.env` is opened.
- Keys: the variable named by `--api-key-env` (default `OPENROUTER_API_KEY`), else the same name in
  the `.env` file (`--env-file`, default `./.env`; read with python-dotenv without changing the
  process environment). Values are wrapped in `SecretStr` at once and never printed.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Final

from pydantic import SecretStr

from codelewm.errors import InputError
from codelewm.extras import require_extra
from codelewm.llm.settings import DRY_RUN_ENV

_ENV_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_OFF: Final = frozenset({"0", "false", "no", "off"})


def dry_run_mode(*, live: bool, dry_run: bool) -> bool:
    """True for dry-run: the flags first, then CODELEWM_LLM_DRY_RUN (default on)."""
    if live and dry_run:
        raise InputError("give --live or --dry-run, not both")
    if dry_run or live:
        return dry_run
    return os.environ.get(DRY_RUN_ENV, "1").strip().lower() not in _OFF


def check_env_name(name: str) -> str:
    if not _ENV_NAME.match(name):
        raise InputError(
            f"{name!r} is not an environment variable name",
            remediation="Pass the NAME of the variable that holds the key (e.g. OPENROUTER_API_KEY), "
            "never the key itself.",
        )
    return name


def read_secret(name: str, *, env_file: Path | None) -> SecretStr | None:
    """The variable's value, else its value in `env_file`; None when neither has it."""
    value = os.environ.get(check_env_name(name))
    if not value and env_file is not None and env_file.is_file():
        require_extra("dotenv", "llm", feature=f"reading {name} from {env_file}")
        from dotenv import dotenv_values

        value = dotenv_values(env_file).get(name)
    return SecretStr(value) if value else None


def enable_debug_logging() -> None:
    """Send the `codelewm.llm` debug log (scrubbed request/response bodies) to stderr."""
    log = logging.getLogger("codelewm.llm")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.DEBUG)
