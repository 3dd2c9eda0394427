"""The HTML page in a real headless Chromium (Debian's `chromium`; ./scripts/check installs it).

Chromium logs every message the page writes to its console (errors, uncaught exceptions, refused
loads under the page's Content-Security-Policy) as `CONSOLE` lines on stderr with
`--enable-logging=stderr`; the negative control proves the scan sees them. The screenshot goes to
`$CODELEWM_ARTIFACTS_DIR/views/` when CI sets it, else to pytest's tmp dir.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from views_fixtures import BEFORE, PLANTED_KEY, make_rerank
from views_html_probe import by_id, inside, parse, with_class

from codelewm.views import build_view_model, write_html

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
]


def _chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (./scripts/check installs Debian's package as root)")
    args = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()]
    return subprocess.run(args, capture_output=True, text=True, timeout=180, check=False)


def _console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def _report(tmp_path: Path) -> Path:
    vm = build_view_model(
        make_rerank(executed=True),
        before=BEFORE,
        title="moving_average: off-by-one fix",
        extra_facts={"model": "world model, 4 layers, d 256"},
    )
    return write_html(vm, tmp_path / "report.html")


def _artifacts_dir(tmp_path: Path) -> Path:
    root = os.environ.get("CODELEWM_ARTIFACTS_DIR")
    target = Path(root) / "views" if root else tmp_path / "artifacts"
    target.mkdir(parents=True, exist_ok=True)
    return target


def test_page_loads_clean_with_ranking_and_diffs_in_the_dom(tmp_path: Path) -> None:
    result = _chromium(_report(tmp_path), tmp_path / "profile", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    assert _console_messages(result.stderr) == []
    elements = parse(result.stdout)
    ranking = by_id(elements, "ranking")
    rows = [e for e in with_class(elements, "rank-row") if inside(e, ranking)]
    assert [row.attrs["data-candidate-id"] for row in rows] == [
        "good-fix",
        "subtle-bug",
        "noop",
        "broken-patch",
    ]
    cards = with_class(elements, "candidate")
    good_diff = next(e for e in with_class(elements, "diff-unified") if inside(e, cards[0]))
    assert "+    for start in range(len(values) - window + 1):" in good_diff.inner_text()
    assert len(with_class(elements, "diff-sbs")) == 2
    assert PLANTED_KEY not in result.stdout


def test_screenshot_is_a_png_of_the_page(tmp_path: Path) -> None:
    page = _report(tmp_path)
    out = _artifacts_dir(tmp_path)
    shutil.copyfile(page, out / "report.html")
    png = out / "report.png"
    png.unlink(missing_ok=True)
    result = _chromium(page, tmp_path / "profile", f"--screenshot={png}", "--window-size=1280,1600")
    assert result.returncode == 0, result.stderr[-2000:]
    assert _console_messages(result.stderr) == []
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 1600)
    assert len(data) > 20_000  # a blank page compresses to a few hundred bytes


def test_console_scan_catches_page_errors(tmp_path: Path) -> None:
    """Negative control: a page that logs, throws and loads an external image is flagged."""
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta http-equiv='Content-Security-Policy' "
        "content=\"default-src 'none'; script-src 'unsafe-inline'\"></head><body>"
        "<img src='https://example.invalid/a.png'>"
        "<script>console.error('boom-console'); throw new Error('boom-uncaught');</script>"
        "</body></html>",
        encoding="utf-8",
    )
    messages = "\n".join(
        _console_messages(_chromium(page, tmp_path / "profile", "--dump-dom").stderr)
    )
    assert "boom-console" in messages
    assert "Uncaught Error: boom-uncaught" in messages
    assert "example.invalid/a.png" in messages and "Content Security Policy" in messages


_MEASURE = """<script>
addEventListener("load", () => {
  const doc = document.documentElement, status = document.querySelector("#ranking th.status");
  const table = document.querySelector("table.ranking");
  document.body.setAttribute("data-scroll-width", doc.scrollWidth);
  document.body.setAttribute("data-inner-width", innerWidth);
  document.body.setAttribute("data-status-right", Math.ceil(status.getBoundingClientRect().right));
  document.body.setAttribute("data-table-right", Math.ceil(table.getBoundingClientRect().right));
});
</script>"""


def _measured(page: Path, tmp_path: Path) -> dict[str, int]:
    """The page's layout at 1280 px: its own HTML and CSS, with only a measuring script added
    (the report's Content-Security-Policy forbids scripts, so this copy drops that one meta)."""
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text())
    probe = tmp_path / "measure.html"
    probe.write_text(html.replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
    result = _chromium(
        probe,
        tmp_path / "profile-m",
        "--window-size=1280,900",
        "--virtual-time-budget=3000",
        "--dump-dom",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", result.stdout)
    assert body is not None
    attrs = dict(re.findall(r'data-([a-z-]+)="(\d+)"', body.group(1)))
    assert attrs, "the measuring script did not run"
    return {key: int(value) for key, value in attrs.items()}


def test_ranking_fits_a_1280_px_window_with_the_status_column_visible(tmp_path: Path) -> None:
    rerank = make_rerank(executed=True)
    long_id = "gpt-4o-mini/temperature-0.8/sample-0017/candidate-with-a-very-long-descriptive-name"
    results = [
        r.model_copy(update={"candidate_id": f"{long_id}-{i}"})
        for i, r in enumerate(rerank.results)
    ]
    vm = build_view_model(rerank.model_copy(update={"results": results}), before=BEFORE)
    sizes = _measured(write_html(vm, tmp_path / "wide.html"), tmp_path)
    assert sizes["inner-width"] == 1280
    assert sizes["scroll-width"] <= sizes["inner-width"], sizes  # no horizontal scrollbar
    assert sizes["status-right"] <= sizes["inner-width"], sizes
    assert sizes["table-right"] <= sizes["inner-width"], sizes


def test_the_width_check_catches_an_overflowing_table(tmp_path: Path) -> None:
    """Negative control: a ranking table forced wider than the window is caught."""
    page = write_html(build_view_model(make_rerank(), before=BEFORE), tmp_path / "r.html")
    page.write_text(
        page.read_text().replace("</style>", "table.ranking { min-width: 2000px; }</style>"),
        encoding="utf-8",
    )
    sizes = _measured(page, tmp_path)
    assert sizes["scroll-width"] > 1280
