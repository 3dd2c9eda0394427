"""The adversarial suite's selection, and docs/SECURITY.md rendered from its JUnit XML.

    python scripts/security_md.py paths        # the suite: one pytest path or node id per line
    python scripts/security_md.py render out/security/junit.xml --seconds 190 --out docs/SECURITY.md

`scripts/security-suite` runs both. Every test case of the suite belongs to one area, by its module
or, for the few attack cases in otherwise ordinary modules, by its node id. Per area the table
counts the attacks tried (test cases; a fuzz test is one case, its Hypothesis examples are counted
from the statistics Hypothesis writes into the XML) and how each ended:

- typed error / refusal: the test passed, so every attack in it was refused with a typed error (or,
  for the sandbox, contained);
- crash: a test error, or a failure by an exception other than an assertion (an untyped exception
  escaped the code under attack);
- hang: a failure by a time bound: pytest-timeout, a Hypothesis deadline, `TimeBoundExceeded`;
- let through: a failed assertion, or a known gap kept as a strict xfail test (named in the file).

The hand-written part of each area (what the attacks are, what stays unprotected) is `AREAS` below.
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "./scripts/security-suite"
OUTCOMES = ("refused", "crash", "hang", "let_through", "skipped")
HANGS = ("Timeout", "TimeBoundExceeded", "DeadlineExceeded")


@dataclass(frozen=True)
class Area:
    name: str
    selectors: tuple[str, ...]  # module paths, or node ids (path::test) for single cases
    attacks: str
    unprotected: str


AREAS = (
    Area(
        "diff parsing",
        (
            "tests/adversarial/test_fuzz_patch.py",
            "tests/code/test_patch_refusals.py",
            "tests/code/test_patch_properties.py",
            "tests/code/test_candidate_properties.py",
        ),
        "Arbitrary text and bytes (lone surrogates, invalid UTF-8, NUL, BOM, CR) into `apply_patch` "
        "and `candidate_from_text`; near-valid diffs of real standard-library functions with junk "
        "spliced in anywhere; hostile file names in `---`, `+++` and `diff --git` (absolute, `..`, "
        "drive letters, `~`, backslashes, control characters, quoted, other files); refused git "
        "headers (renames, copies, mode changes, symlinks, submodules, deletions, binary patches), "
        "also from the real git; hunk headers with huge, negative and overflowing numbers; befores "
        "of up to 200,000 lines built so that every hunk searches the whole file; patches over "
        "1 MiB or 20,000 lines. Each call must return or raise a `PatchError` within 2 s (5 s for "
        "the search attacks).",
        "A diff is applied in memory and never touches the filesystem, so nothing but the names is "
        "checked against paths. The offset search stops after 2,000,000 positions: a legitimate but "
        "far-displaced patch is then refused (`HunkMismatchError`). The static check (ast, "
        "pyflakes) reads the after-state, never runs it: code that parses is not thereby safe to "
        "run.",
    ),
    Area(
        "redaction",
        (
            "tests/adversarial/test_fuzz_redact.py",
            "tests/artifacts/test_redact_linear.py",
            "tests/artifacts/test_redact_matches_scanner.py",
            "tests/artifacts/test_base_url_echo.py",
        ),
        "1 MB inputs built against every pattern and every detect-secrets gate (each must stay "
        "linear); whatever `secret-scan` flags, `redact()` removes, and the result scans clean; "
        "credentials in a `--base-url` are never echoed; fuzzed texts glued from key prefixes, "
        "assignment names, quotes and escaped quotes, `Authorization`/`Bearer`/`Basic`, "
        "`scheme://user:pass@`, PEM armour, our own `[REDACTED:` marker and lone surrogates (each "
        "redacted within 1 s, idempotent, scanning clean, unchanged when nothing is found); 64 KB "
        "single lines of such pieces within 3 s.",
        "On a line over 500 characters the detect-secrets plugins see overlapping windows and skip "
        "windows crowded with keywords, so what they flag depends on where the windows fall; "
        "`redact()` scans again until clean but at most 3 times (the strict xfail below needs 4). "
        "A credential with no known prefix and no telling name (a bare high-entropy string in "
        "prose) is not found: the entropy plugins are off, since every sha256 would match. A secret "
        "is removed where it is flagged: the same value on another line, unflagged, stays.",
    ),
    Area(
        "HTTP server",
        ("tests/adversarial/test_fuzz_http.py", "tests/server/test_server_abuse.py"),
        "schemathesis against the committed `docs/openapi.json`, in-process, positive and negative "
        "cases for every operation (no 500, every status documented, bodies valid against the "
        "schema, content types, negative data rejected, positive data accepted); every undeclared "
        "method (405 with `Allow`); raw bytes, JSON of any shape and odd content types; over real "
        "sockets (test_server_abuse): the issue's 15 x 250 KB request, the character and token "
        "limits, timed-out work that stops and gives its slot back, a light request answered while "
        "heavy ones run, a body shorter than its Content-Length (408 within the timeout), lone "
        "surrogates (422, the connection survives).",
        "No authentication and no TLS: `codelewm serve` listens on 127.0.0.1 unless told otherwise "
        "(and warns then); anyone who reaches the port can use the model within the limits. The "
        "queue is shared: no per-client rate limit (503 beyond `max_queue`). HEAD on the GET routes "
        "is 405.",
    ),
    Area(
        "sandbox",
        ("tests/execution/test_containment.py", "tests/execution/test_os_layers.py"),
        "Runaway and hostile candidates under every launcher this machine has (bwrap, the unshare "
        "stage, plain), each with a control showing the attack is real without the layer: infinite "
        "loops, SIGTERM-ignoring sleepers, CPU burners, fork bombs, background processes, memory "
        "hogs, output floods, writes and deletions outside the working directory (also through "
        "ctypes and sqlite), disk floods, reads of private home files and of the parent's "
        "environment, sockets and every socket family, a host Unix socket under /run, fork/exec "
        "and ctypes `execv`, mkfifo/mknod, unshare/ptrace/mount/clone3, signals to other "
        "processes, a planted API key, a package installed under /tmp.",
        "From `execution/sandbox.py`: not a VM; kernel exploits and container escapes share the "
        "host kernel, and the seccomp filter is a denylist. ctypes and C extensions bypass the "
        "audit hook: only the OS layers hold, and where one is missing (see each run's `caveats`) "
        "such code can write what the caller can write. World-readable files stay readable; "
        "without `mountns_proc` other processes' command lines show in /proc; /sys is the host's. "
        "Hostile Python in the same interpreter can find and switch off the hook or fake the "
        "result channel; side channels are never covered. Layer tests skip only where this machine "
        "cannot have the layer.",
    ),
    Area(
        "checkpoints",
        ("tests/adversarial/test_fuzz_checkpoint.py", "tests/scoring/test_checkpoint_hostile.py"),
        "Re-signed checkpoints (a fresh manifest over the edited files, so only the content checks "
        "stand): hostile model configs (strings, floats, booleans, zero, negative, 10 GB and 384 GB "
        "models, heads that do not divide, integers beyond the float range), NaN/Inf weights, "
        "re-typed, re-shaped and extra tensors, non-finite calibrators; fuzzed: any value in any "
        "config field, any calibrator (any JSON, bytes that are not UTF-8), any tokenizer.json, "
        "safetensors headers with any dtype, shape and offsets and a lying length; tampered "
        "manifests. Each must load or be refused with `CheckpointError` (exit 5) within 10 s and "
        "300 MiB.",
        "The manifest is a checksum list, not a signature: whoever can write a checkpoint "
        "directory can re-sign it. The gate bounds what such a checkpoint can do (no pickle, no "
        "large allocation, finite numbers, tensors that fit the config), not whether its weights "
        "are honest: a well-formed hostile checkpoint can rank candidates as it likes. "
        "tokenizer.json is parsed by the `tokenizers` library.",
    ),
    Area(
        "terminal/HTML views",
        (
            "tests/adversarial/test_fuzz_views.py",
            "tests/views/test_view_terminal.py::test_escape_sequences_in_candidates_cannot_drive_the_terminal",
            "tests/views/test_view_terminal.py::test_markup_in_candidate_text_is_printed_literally",
            "tests/views/test_view_html.py::test_planted_key_never_reaches_the_page",
            "tests/views/test_view_html.py::test_a_view_model_built_by_hand_is_redacted_too",
            "tests/views/test_view_html.py::test_no_external_resources_and_a_strict_policy",
            "tests/views/test_view_html.py::test_candidate_text_is_escaped",
        ),
        "Escape sequences (OSC window title, OSC 8 hyperlinks, CSI, DCS, the C1 CSI), C0/C1 "
        "controls, bidi overrides, rich markup, HTML and script injection and Jinja syntax in every "
        "field an attacker controls (candidate id, code, origin, warnings, error message, before, "
        "instruction, title): the terminal output keeps only rich's own colour codes; the page "
        "holds exactly the tags of its twin rendered with the angle brackets replaced, and no "
        "event handler; planted keys are redacted; the page loads nothing and sets a strict CSP.",
        "Zero-width characters and look-alike (homoglyph) letters are shown as they are, so a "
        "candidate id can look like another. The TUI is not fuzzed here (it renders the same "
        "redacted, cleaned view model).",
    ),
    Area(
        "CLI input",
        (
            "tests/adversarial/test_fuzz_cli.py",
            "tests/scoring/test_inputs.py",
            "tests/cli/test_cli_consistency.py::test_usage_errors_under_json_are_error_objects",
            "tests/cli/test_cli_consistency.py::test_markup_in_a_path_never_crashes_the_error_printer",
        ),
        "Candidate directories holding symlinks to /etc/passwd, dangling and looping symlinks, "
        "FIFOs (a reader would block), directories named `.py`, 8 MiB sparse files, random bytes, "
        "names with markup, escapes, newlines, RTL marks and 200 characters; hostile befores; "
        "argument lists built from the real options with hostile values (names the OS refuses, "
        "/proc/self/environ, FIFOs, huge numbers, unknown devices, markup); usage errors under "
        "`--json`; the Python API's type, Unicode and size checks. Each run must end with a "
        "documented exit code, JSON on stdout under `--json`, no traceback, never the content of "
        "a planted symlink, within 60 s.",
        "Paths the user names are the user's: `--before /etc/passwd` reads that file and the output "
        "shows it, and `--html PATH` writes where it is told; the CLI runs with the user's rights. "
        "`--tests`/`--execute` run code (the sandbox area).",
    ),
)


@dataclass
class Case:
    nodeid: str
    outcome: str
    message: str = ""
    examples: int | None = None


@dataclass
class Tally:
    cases: list[Case] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(c.outcome == outcome for c in self.cases)

    @property
    def examples(self) -> int:
        return sum(c.examples or 0 for c in self.cases)

    @property
    def fuzz_cases(self) -> int:
        return sum(c.examples is not None for c in self.cases)


def suite_paths() -> list[str]:
    return [selector for area in AREAS for selector in area.selectors]


def area_of(nodeid: str) -> str | None:
    for area in AREAS:
        for selector in area.selectors:
            if nodeid == selector or nodeid.startswith(
                selector + ("::" if "::" not in selector else "[")
            ):
                return area.name
    return None


def nodeid_of(testcase: ET.Element) -> str:
    """pytest's node id from a JUnit test case: `tests.a.test_b` + `test_c[x]`, or with a class."""
    parts = testcase.get("classname", "").split(".")
    for cut in range(len(parts), 0, -1):
        path = "/".join(parts[:cut]) + ".py"
        if (ROOT / path).is_file():
            return "::".join([path, *parts[cut:], testcase.get("name", "")])
    return "::".join([*parts, testcase.get("name", "")])


def outcome_of(testcase: ET.Element) -> tuple[str, str]:
    failure, error = testcase.find("failure"), testcase.find("error")
    skipped = testcase.find("skipped")
    if failure is not None:
        message = failure.get("message", "") or (failure.text or "")[:200]
        if any(word in message for word in HANGS):
            return "hang", message
        if re.match(r"(AssertionError|assert |Failed: DID NOT RAISE|\[XPASS)", message):
            return "let_through", message
        return "crash", message
    if error is not None:
        return "crash", error.get("message", "")
    if skipped is not None:
        message = skipped.get("message", "")
        if skipped.get("type") == "pytest.xfail":
            return "let_through", f"known gap (strict xfail): {message.removeprefix('known gap: ')}"
        return "skipped", message
    return "refused", ""


def examples_by_node(root: ET.Element) -> dict[str, int]:
    """Hypothesis examples per node id, from the statistics its pytest plugin writes as properties."""
    found: dict[str, int] = {}
    for prop in root.iter("property"):
        name = prop.get("name", "")
        if not name.startswith("hypothesis-statistics-"):
            continue
        text = base64.b64decode(prop.get("value", "")).decode("utf-8", "replace")
        counts = re.findall(r"during (\w+) phase .*?\n.*?\n\s+- (\d+) passing, (\d+) failing", text)
        found[name.removeprefix("hypothesis-statistics-")] = sum(
            int(p) + int(f) for phase, p, f in counts if phase != "shrink"
        )
    return found


def tally(junit: Path) -> dict[str, Tally]:
    root = ET.parse(junit).getroot()
    examples = examples_by_node(root)
    areas = {area.name: Tally() for area in AREAS}
    for testcase in root.iter("testcase"):
        nodeid = nodeid_of(testcase)
        name = area_of(nodeid)
        if name is None:
            raise SystemExit(f"{nodeid} belongs to no area of scripts/security_md.py")
        outcome, message = outcome_of(testcase)
        areas[name].cases.append(Case(nodeid, outcome, message, examples.get(nodeid)))
    return areas


def _tried(t: Tally) -> str:
    if not t.fuzz_cases:
        return f"{len(t.cases)}"
    return f"{len(t.cases)} ({t.fuzz_cases} fuzz: {t.examples:,} examples)"


def table(areas: dict[str, Tally]) -> list[str]:
    head = "| area | attacks tried: cases (fuzz tests: examples) | typed error / refusal | crash | hang | let through | skipped |"
    rows = [head, "|---|---|---|---|---|---|---|"]
    total = Tally([c for t in areas.values() for c in t.cases])
    for name, t in [*areas.items(), ("**total**", total)]:
        counts = [str(t.count(o)) for o in OUTCOMES]
        rows.append(f"| {name} | {_tried(t)} | " + " | ".join(counts) + " |")
    return rows


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("pytest", "hypothesis", "schemathesis"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} absent")
    return ", ".join([f"Python {platform.python_version()}", *found])


def commit() -> str:
    done = subprocess.run(
        ["git", "describe", "--always", "--dirty", "--abbrev=12"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def render(areas: dict[str, Tally], *, seconds: int) -> str:
    remaining = [c for t in areas.values() for c in t.cases if c.outcome in OUTCOMES[1:4]]
    lines = [
        "# Security: the adversarial suite",
        "",
        "Generated by `scripts/security_md.py` from the JUnit XML of the suite; do not edit by hand.",
        "Reproduce (and regenerate this file):",
        "",
        f"    {COMMAND}",
        "",
        f"which runs `pytest` on: {', '.join(f'`{p}`' for p in suite_paths())}.",
        "",
        f"Last run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit `{commit()}`, {seconds} s on "
        f"{os.cpu_count()} cores ({versions()}). Every fuzz test is derandomized with a fixed "
        "number of examples, so a rerun tries the same inputs.",
        "",
        *table(areas),
        "",
        "An attack *tried* is one test case; a fuzz test is one case that tries its examples. "
        "*Typed error / refusal*: the test passed, every attack in it was refused with a typed "
        "error (or contained, for the sandbox). *Crash*: an exception the code did not type. "
        "*Hang*: over a time bound (pytest-timeout, a Hypothesis deadline, `TimeBoundExceeded`). "
        "*Let through*: the attack got what it wanted (a failed assertion), or a known gap kept as "
        "a strict xfail test. *Skipped*: a sandbox layer this machine cannot have.",
        "",
        "## Remaining: crash, hang, let through",
        "",
    ]
    if remaining:
        lines += [
            f"- `{c.nodeid}` ({c.outcome.replace('_', ' ')}): {_line(c.message)}" for c in remaining
        ]
    else:
        lines.append("None.")
    for area in AREAS:
        t = areas[area.name]
        lines += [
            "",
            f"## {area.name[0].upper()}{area.name[1:]}",
            "",
            f"Tests: {', '.join(f'`{s}`' for s in area.selectors)}.",
            "",
            f"**Attacks.** {area.attacks}",
            "",
            f"**Not protected.** {area.unprotected}",
        ]
        skipped = [c for c in t.cases if c.outcome == "skipped"]
        if skipped:
            lines += [
                "",
                "Skipped here: " + "; ".join(f"`{c.nodeid}` ({_line(c.message)})" for c in skipped),
            ]
    return "\n".join(lines) + "\n"


def _line(message: str) -> str:
    first = message.strip().splitlines()[0] if message.strip() else ""
    return first if len(first) <= 300 else first[:300] + "..."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("paths", help="print the suite's pytest paths, one a line")
    draw = sub.add_parser("render", help="render SECURITY.md from the suite's JUnit XML")
    draw.add_argument("junit", type=Path)
    draw.add_argument("--seconds", type=int, required=True, help="the suite's wall-clock time")
    draw.add_argument("--out", type=Path, default=ROOT / "docs" / "SECURITY.md")
    args = parser.parse_args()
    if args.command == "paths":
        print("\n".join(suite_paths()))
        return 0
    areas = tally(args.junit)
    args.out.write_text(render(areas, seconds=args.seconds), encoding="utf-8")
    print(f"wrote {args.out}: " + ", ".join(f"{n} {len(t.cases)}" for n, t in areas.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
