"""`--source jsonl --input FILE`: import external `codelewm.transition.v1` records, one JSON per line.

Each line is validated against `TransitionRecord`; bad lines are counted, never fatal:
`invalid_json` (not JSON / not an object), `wrong_schema` (another `schema_version`),
`invalid_record` (a missing or ill-typed field). Blank lines are ignored. The record's own fields are
kept (its `source` included) except `split`, which the build assigns; the file name goes into
`meta["imported_from"]`. One unit per `lines_per_unit` lines.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import ValidationError

from codelewm.data.sources.base import SourceConfig
from codelewm.errors import SourceUnavailableError
from codelewm.records import TransitionRecord


class JsonlConfig(SourceConfig):
    kind: Literal["jsonl"] = "jsonl"
    input: Path
    lines_per_unit: int = 50_000


class JsonlSource:
    name: ClassVar[str] = "jsonl"
    config_model: ClassVar[type[SourceConfig]] = JsonlConfig

    def __init__(self, config: JsonlConfig) -> None:
        self.config = config
        self.skipped: Counter[str] = Counter()

    def _lines(self) -> Iterator[str]:
        try:
            with self.config.input.open(encoding="utf-8", errors="surrogateescape") as handle:
                yield from handle
        except OSError as exc:
            raise SourceUnavailableError(f"cannot read {self.config.input}: {exc}") from exc

    def units(self) -> list[str]:
        n_lines = sum(1 for _ in self._lines())
        size = self.config.lines_per_unit
        return [f"{start // size:06d}" for start in range(0, max(n_lines, 1), size)]

    def iter_transitions(self, unit: str) -> Iterator[TransitionRecord]:
        size = self.config.lines_per_unit
        start = int(unit) * size
        for line in islice(self._lines(), start, start + size):
            if line.strip():
                record = self._parse(line)
                if record is not None:
                    yield record

    def _parse(self, line: str) -> TransitionRecord | None:
        try:
            raw = json.loads(line)
        except ValueError:
            raw = None
        if not isinstance(raw, dict):
            self.skipped["invalid_json"] += 1
            return None
        if raw.get("schema_version", "codelewm.transition.v1") != "codelewm.transition.v1":
            self.skipped["wrong_schema"] += 1
            return None
        try:
            record = TransitionRecord.model_validate(raw)
        except ValidationError:
            self.skipped["invalid_record"] += 1
            return None
        meta = {**record.meta, "imported_from": self.config.input.name}
        return record.model_copy(update={"split": None, "meta": meta})
