"""Render docs/USAGE.md from the CLI itself: every command, its help and every option.

    .venv/bin/python scripts/gen_usage.py            # rewrite docs/USAGE.md
    .venv/bin/python scripts/gen_usage.py --check    # exit 1 when docs/USAGE.md is stale

tests/test_usage_doc.py checks that every command and every option the CLI has appears in the file,
so a new command or flag without a regenerated page fails the tests. Defaults are shown as the CLI
declares them; machine-dependent ones are rendered by name (`cpu_count`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
USAGE = ROOT / "docs" / "USAGE.md"
HEADER = """# codelewm usage

Generated from the CLI by `scripts/gen_usage.py`; do not edit by hand (`tests/test_usage_doc.py`
fails when a command or option is missing). Exit codes: 0 ok, 2 bad input or config, 3 source
unavailable, 4 parse/filter failure, 5 checkpoint refused or incompatible, 6 evaluation gate failed,
70 internal error, 130 interrupted. Every command takes `--json` (`serve` for the errors that stop it
from starting); with it, errors, usage errors included, are `codelewm.error.v1` objects on stdout.

## Which install each command needs

`pip install codelewm` (the core) runs `rerank`, `score`, `manifest`, `secret-scan`, `schemas`,
`model`, `index build|query` and the dry-run LLM commands. The rest need an extra; without it the command
exits 2 with a `MissingExtraError` that names it (`pip install 'codelewm[NAME]'`, or `[all]`).

| extra | commands |
|---|---|
| `data` | `dataset build`, `dataset pack`, `dataset stats` |
| `train` | `train` (includes `data`) |
| `eval` | `eval ...` (includes `data`) |
| `llm` | `llm candidates --live`, `llm-demo --live`, `openrouter byok-register --live`, reading keys from `.env` |
| `server` | `serve` |
| `tui` | `rerank --tui`, `score --tui`, `llm-demo --tui` |
| `dataframebench` | `eval downstream-pack --kind dataframebench` |

## Evaluate any scorer on real LLM candidates

The labelled real-LLM MBPP pools ship with the repository (`data/eval/`, evaluation only):

```bash
codelewm eval downstream-rerank --pools data/eval/mbpp_llm_pools.v1.jsonl --scorer default \\
    --baselines all --out out/p4-mbpp-llm
```
"""


def commands(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    """(command path, click command) for every leaf command, in registration order."""
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path, command
        return
    for name, sub in subcommands.items():
        if not getattr(sub, "hidden", False):
            yield from commands(sub, [*path, name])


def option_rows(command: Any) -> list[str]:
    ctx = command.make_context(command.name, [], resilient_parsing=True)
    rows = []
    for param in command.params:
        if getattr(param, "hidden", False):
            continue
        names = " / ".join(f"`{o}`" for o in [*param.opts, *getattr(param, "secondary_opts", [])])
        kind = _type_name(param, ctx)
        default = "required" if param.required else _default(param.default)
        help_text = " ".join((getattr(param, "help", None) or "").split()).replace("|", "\\|")
        rows.append(f"| {names} | {kind} | {default} | {help_text} |")
    return rows


def _type_name(param: Any, ctx: Any) -> str:
    if getattr(param, "is_flag", False):
        return "flag"
    shown = str(param.display_type(ctx)).strip("<>").replace("|", "or")
    if getattr(param, "multiple", False):
        shown = shown.removeprefix("list[").removesuffix("]") + ", repeatable"
    return ("argument: " if param.param_type_name == "argument" else "") + shown


def _default(value: Any) -> str:
    if value is None or value == () or value == []:
        return "-"
    if callable(value):
        return f"`{getattr(value, '__name__', 'computed')}`"
    return f"`{value}`"


def render() -> str:
    import typer.main

    from codelewm.cli.app import app

    root = typer.main.get_command(app)
    parts = [HEADER]
    for path, command in commands(root, ["codelewm"]):
        parts.append(f"\n## `{' '.join(path)}`\n")
        doc = (command.help or "").strip()
        if doc:
            parts.append("\n" + "\n".join(line.strip() for line in doc.splitlines()) + "\n")
        rows = option_rows(command)
        if rows:
            parts.append("\n| option | type | default | help |\n|---|---|---|---|\n")
            parts.append("\n".join(rows) + "\n")
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the page is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = USAGE.read_text(encoding="utf-8") if USAGE.is_file() else ""
        if current != text:
            print(f"{USAGE} is stale: run .venv/bin/python scripts/gen_usage.py", file=sys.stderr)
            return 1
        return 0
    USAGE.write_text(text, encoding="utf-8")
    print(f"wrote {USAGE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
