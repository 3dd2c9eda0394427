"""The license gate: what license a piece of code carries, and whether the allowlist admits it.

Licenses are recorded per record (`TransitionRecord.license`) as short SPDX-like ids. Where they come
from: the running Python's standard library is `PSF-2.0`; a wheel or installed distribution reads its
METADATA (`License-Expression`, then `License`, then `License :: OSI Approved :: ...` classifiers);
a git repository or a plain directory reads its LICENSE/COPYING file (at HEAD for git; a repository
without one, its pyproject.toml `project.license`). Text that
matches nothing is `None`: unknown, which the default gate refuses.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from email.parser import HeaderParser
from pathlib import Path

STDLIB_LICENSE = "PSF-2.0"

DEFAULT_ALLOWLIST: tuple[str, ...] = (
    "MIT",
    "MIT-0",
    "BSD",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "0BSD",
    "Apache-2.0",
    "PSF-2.0",
    "Python-2.0",
    "ISC",
    "Unlicense",
    "CC0-1.0",
    "Zlib",
    "HPND",
)

LICENSE_FILE_NAMES: tuple[str, ...] = (
    "LICENSE",
    "LICENSE.txt",
    "LICENSE.md",
    "LICENSE.rst",
    "LICENCE",
    "LICENCE.txt",
    "COPYING",
    "COPYING.txt",
)

# (needle in the upper-cased text, license id); the first hit wins, so specific ones come first.
_TEXT_MARKERS: tuple[tuple[str, str], ...] = (
    ("GNU LESSER GENERAL PUBLIC LICENSE", "LGPL"),
    ("GNU AFFERO GENERAL PUBLIC LICENSE", "AGPL"),
    ("GNU GENERAL PUBLIC LICENSE", "GPL"),
    ("MOZILLA PUBLIC LICENSE", "MPL-2.0"),
    ("APACHE LICENSE", "Apache-2.0"),
    ("PYTHON SOFTWARE FOUNDATION LICENSE", "PSF-2.0"),
    ("THIS IS FREE AND UNENCUMBERED SOFTWARE", "Unlicense"),
    ("PERMISSION IS HEREBY GRANTED, FREE OF CHARGE", "MIT"),
    ("MIT LICENSE", "MIT"),
    ("PERMISSION TO USE, COPY, MODIFY, AND/OR DISTRIBUTE", "ISC"),
    ("PERMISSION TO USE, COPY, MODIFY, AND DISTRIBUTE", "ISC"),
    ("REDISTRIBUTION AND USE IN SOURCE AND BINARY FORMS", "BSD"),
    ("CC0 1.0 UNIVERSAL", "CC0-1.0"),
)

# Free-text `License:` fields and classifier tails -> ids.
_NAME_ALIASES: dict[str, str] = {
    "MIT LICENSE": "MIT",
    "MIT": "MIT",
    "EXPAT": "MIT",
    "BSD LICENSE": "BSD",
    "BSD": "BSD",
    "NEW BSD": "BSD-3-Clause",
    "NEW BSD LICENSE": "BSD-3-Clause",
    "3-CLAUSE BSD": "BSD-3-Clause",
    "BSD-3-CLAUSE": "BSD-3-Clause",
    "BSD 3-CLAUSE": "BSD-3-Clause",
    "BSD-2-CLAUSE": "BSD-2-Clause",
    "APACHE SOFTWARE LICENSE": "Apache-2.0",
    "APACHE 2.0": "Apache-2.0",
    "APACHE-2.0": "Apache-2.0",
    "APACHE LICENSE 2.0": "Apache-2.0",
    "APACHE LICENSE, VERSION 2.0": "Apache-2.0",
    "APACHE 2": "Apache-2.0",
    "PYTHON SOFTWARE FOUNDATION LICENSE": "PSF-2.0",
    "PSF": "PSF-2.0",
    "PSF-2.0": "PSF-2.0",
    "ISC LICENSE (ISCL)": "ISC",
    "ISC LICENSE": "ISC",
    "ISC": "ISC",
    "THE UNLICENSE (UNLICENSE)": "Unlicense",
    "UNLICENSE": "Unlicense",
    "MOZILLA PUBLIC LICENSE 2.0 (MPL 2.0)": "MPL-2.0",
    "ZLIB": "Zlib",
    "HISTORICAL PERMISSION NOTICE AND DISCLAIMER (HPND)": "HPND",
}


def license_from_text(text: str) -> str | None:
    """The license a LICENSE/COPYING file states, or None when no marker matches."""
    upper = " ".join(text.upper().split())
    for needle, license_id in _TEXT_MARKERS:
        if needle in upper:
            return license_id
    return None


def license_from_name(name: str) -> str | None:
    """Normalise a free-text license name or SPDX expression; None when unknown."""
    cleaned = name.strip()
    if not cleaned or cleaned.upper() in {"UNKNOWN", "NONE"}:
        return None
    if _looks_like_expression(cleaned):
        return cleaned
    alias = _NAME_ALIASES.get(cleaned.upper())
    if alias is not None:
        return alias
    # A full license text pasted into the License field.
    return license_from_text(cleaned) if len(cleaned) > 60 else None


def _looks_like_expression(text: str) -> bool:
    tokens = re.split(r"\s+(?:OR|AND|WITH)\s+|[()]", text)
    parts = [t.strip() for t in tokens if t.strip()]
    return bool(parts) and all(
        p in DEFAULT_ALLOWLIST or (re.fullmatch(r"[A-Za-z0-9.+\-]+", p) and "-" in p) for p in parts
    )


def license_from_metadata(metadata_text: str) -> str | None:
    """License of a wheel / dist-info METADATA file (core metadata, RFC 822 headers)."""
    headers = HeaderParser().parsestr(metadata_text, headersonly=True)
    expression = headers.get("License-Expression")
    if expression:
        return expression.strip()
    field = headers.get("License")
    if field:
        found = license_from_name(field.splitlines()[0] if len(field) < 60 else field)
        if found is not None:
            return found
    for classifier in headers.get_all("Classifier") or []:
        if classifier.startswith("License :: "):
            found = license_from_name(classifier.rsplit("::", 1)[-1])
            if found is not None:
                return found
    return None


def license_from_pyproject(text: str) -> str | None:
    """`project.license` of a pyproject.toml: an SPDX expression or `{text = ...}`."""
    try:
        project = tomllib.loads(text).get("project", {})
    except tomllib.TOMLDecodeError:
        return None
    value = project.get("license") if isinstance(project, dict) else None
    if isinstance(value, dict):
        value = value.get("text")
    return license_from_name(value) if isinstance(value, str) else None


def license_of_directory(root: Path) -> str | None:
    """License of a source tree from its LICENSE/COPYING file (the first that exists)."""
    for name in LICENSE_FILE_NAMES:
        path = root / name
        if path.is_file():
            return license_from_text(path.read_text(encoding="utf-8", errors="replace"))
    return None


def first_license_file(names: Iterable[str]) -> str | None:
    """The first LICENSE-like name among `names` (e.g. a git tree listing), in preference order."""
    present = set(names)
    return next((name for name in LICENSE_FILE_NAMES if name in present), None)


def license_allowed(license_id: str | None, allowlist: Sequence[str] = DEFAULT_ALLOWLIST) -> bool:
    """Whether an id or SPDX expression is admitted: OR needs one allowed branch, AND needs all."""
    if license_id is None:
        return False
    allowed = {a.upper() for a in allowlist}
    expression = license_id.replace("(", " ").replace(")", " ")
    for branch in re.split(r"\s+OR\s+", expression, flags=re.IGNORECASE):
        terms = [t.strip() for t in re.split(r"\s+AND\s+", branch, flags=re.IGNORECASE)]
        if terms and all(t.split(" WITH ")[0].strip().upper() in allowed for t in terms):
            return True
    return False
