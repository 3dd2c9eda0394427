"""The registry of data sources: name -> "module:Class", imported on first use.

Names are `--source NAME` in `codelewm dataset build` and `kind = "NAME"` in a build config's
`[[sources]]` tables. A class here implements `codelewm.data.sources.base.Source`; its module is
imported lazily so that one source's optional dependencies never break another.
"""

from __future__ import annotations

import importlib
from typing import cast

from codelewm.data.sources.base import Source, SourceConfig
from codelewm.errors import ConfigError, SourceUnavailableError

SOURCES: dict[str, str] = {
    "git": "codelewm.data.sources.git:GitSource",
    "ruff": "codelewm.data.sources.ruff:RuffSource",
    "jsonl": "codelewm.data.sources.jsonl:JsonlSource",
    "mutations": "codelewm.data.sources.mutations:MutationsSource",
    "stubs": "codelewm.data.sources.stubs:StubsSource",
    "releases": "codelewm.data.sources.releases:ReleasesSource",
    "exercism": "codelewm.data.sources.labelled:ExercismSource",
    "quixbugs": "codelewm.data.sources.labelled:QuixbugsSource",
    "doctests": "codelewm.data.sources.doctests:DoctestsSource",
}


def source_class(name: str) -> type[Source]:
    """The class registered under `name`."""
    if name not in SOURCES:
        raise ConfigError(
            f"unknown source {name!r}",
            remediation=f"Use one of: {', '.join(sorted(SOURCES))}.",
        )
    module_name, _, class_name = SOURCES[name].partition(":")
    try:
        module = importlib.import_module(module_name)
        return cast(type[Source], getattr(module, class_name))
    except (ImportError, AttributeError) as exc:
        raise SourceUnavailableError(
            f"source {name!r} is not available: {exc}",
            remediation="Reinstall codelewm; the source's module failed to import.",
        ) from exc


def make_source(config: SourceConfig) -> Source:
    """Instantiate the source that `config.kind` names."""
    return source_class(config.kind)(config)  # type: ignore[call-arg]


def validate_source_config(raw: dict[str, object]) -> SourceConfig:
    """Validate one `[[sources]]` table (or CLI flags) against its source's config model."""
    kind = raw.get("kind")
    if not isinstance(kind, str):
        raise ConfigError('a source config needs `kind = "<source name>"`')
    model = source_class(kind).config_model
    try:
        return model.model_validate(raw)
    except ValueError as exc:
        raise ConfigError(f"invalid config for source {kind!r}: {exc}") from exc
