"""What every data source provides, and how `dataset build` drives it.

A source is a class registered in `codelewm.data.registry.SOURCES` under its name, which is both the
`--source NAME` of `codelewm dataset build` and the `kind` of a `[[sources]]` table in a build config:

- `config_model`: a pydantic model that subclasses `SourceConfig` (unknown keys are errors) with
  `kind: Literal["<name>"]`. CLI flags map onto fields of the same name (`--repo` -> `repo`,
  `--code` -> `code`, `--input` -> `input`, `--package` -> `package`, `--versions` -> `versions`);
  a TOML table validates against it as is.
- `cls(config)` builds it; construction does no heavy work (no downloads, no parsing).
- `units()` returns the stable, sorted ids of independent work units (a file, a commit range, a release
  pair). The build shards (`--shard i/n`), parallelises (`--workers N`: the instance is pickled to the
  worker processes) and caches (a re-run skips finished units) unit by unit, so a unit's output must
  depend only on the config and the unit id.
- `iter_transitions(unit)` yields that unit's `TransitionRecord`s (leave `split` None: the build
  assigns it; set `group`, `license` and the capsule `context`/`truncated`). Whatever it passes over
  adds one to `skipped[reason_code]`; a bad input never raises, it is counted.
- optional `iter_pools(unit)`: called right after `iter_transitions(unit)` was exhausted on the same
  instance; yields `SameBeforePool`s the source built itself (e.g. with seeded decoys). The build also
  finds pools across records on its own (>= 3 distinct afters of one before).
- optional `provenance()`: a JSON-able dict that pins what the source read (a repository's head
  commit, a tool's version, package versions); the build writes it into the dataset manifest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from codelewm.records import SameBeforePool, TransitionRecord


class SourceConfig(BaseModel):
    """Base of every source's config: `kind` names the source; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str


class Source(Protocol):
    """A data source (see the module docstring for the contract)."""

    name: ClassVar[str]
    config_model: ClassVar[type[SourceConfig]]
    skipped: Counter[str]

    def units(self) -> list[str]: ...

    def iter_transitions(self, unit: str) -> Iterator[TransitionRecord]: ...


@runtime_checkable
class ProvenanceSource(Protocol):
    """A source that says exactly what it read (recorded in the dataset manifest)."""

    def provenance(self) -> dict[str, Any]: ...


@runtime_checkable
class PoolSource(Protocol):
    """A source that also builds its own same-before pools."""

    def iter_pools(self, unit: str) -> Iterator[SameBeforePool]: ...
