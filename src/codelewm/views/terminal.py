"""The terminal view (rich): the recommendation and how far to trust it, the ranking with score
bars, the model's signals, baseline ranks and orders, coloured diffs, warnings.

Legible at 80 columns and when piped: wide tables are stacked (ranking; signals; baseline ranks)
rather than squeezed, and every column folds instead of cutting, so a candidate id is never cut.
Every string from the view model goes into a `rich.text.Text` (never into console markup), so a
candidate cannot inject styles; the view model is redacted and stripped of control characters and
escape sequences again before drawing.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, RenderableType
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from codelewm.views.model import CandidateView, ViewModel, redact_view_model

BAR_WIDTH = 10
_EIGHTHS = " ▏▎▍▌▋▊▉"


def render_terminal(
    vm: ViewModel, console: Console, *, top: int | None = None, diffs: int = 3
) -> None:
    """Draw `vm` on `console`: `top` limits the ranked rows (None: all), `diffs` the diffs shown."""
    vm = redact_view_model(vm)
    shown = vm.candidates if top is None else vm.candidates[: max(top, 0)]
    console.print(_header(vm))
    console.print(_execution_line(vm))
    console.print(recommendation_panel(vm))
    console.print(ranking_table(vm, shown))
    console.print(signals_table(vm, shown))
    if vm.baselines and vm.command == "rerank":  # one candidate has no order to compare
        console.print(baseline_table(vm, shown))
        console.print(orders_table(vm))
    for renderable in _notes(vm, shown):
        console.print(renderable)
    for row in [row for row in shown if row.unified_diff][: max(diffs, 0)]:
        console.print(diff_panel(row))


def score_bar(fraction: float, width: int = BAR_WIDTH) -> Text:
    """A horizontal bar `fraction` (0..1) of `width` cells, in eighths of a cell."""
    eighths = round(min(max(fraction, 0.0), 1.0) * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (_EIGHTHS[part] if part else "")
    return Text(bar.ljust(width), style="green")


def _table(title: str) -> Table:
    return Table(title=title, title_justify="left", expand=False)


def _column(table: Table, header: str, *, right: bool = False) -> None:
    table.add_column(header, justify="right" if right else "left", overflow="fold")


def recommendation_panel(vm: ViewModel) -> Panel:
    """Which candidate to pick, why, by how much it leads, and how far the model may be trusted."""
    text = Text()
    rec = vm.recommendation
    if rec is None or rec.candidate_id is None:
        text.append("No recommendation", style="bold red")
        text.append(f": {rec.reason if rec else 'the record carries none'}")
    else:
        text.append("Recommended: ", style="bold")
        text.append(rec.candidate_id, style="bold green")
        text.append(f"\nwhy: {rec.reason}")
    trust = vm.trust
    if trust is not None:
        style = "green" if trust.state == "shown-to-help" else "yellow"
        text.append("\ntrust: ", style=f"bold {style}")
        text.append(trust.statement, style=style)
    if vm.command == "score":
        text.append(
            "\none candidate: consensus is n/a and the final score is only comparable within "
            "one call; use rerank to compare candidates",
            style="dim",
        )
    label = "what to pick" if vm.command == "rerank" else "the candidate"
    return Panel(text, title=Text(f"{_title(vm)}: {label}"), title_align="left")


def ranking_table(vm: ViewModel, rows: Sequence[CandidateView]) -> Table:
    """The model's ranking, one row per candidate: id (never cut), score bar, status."""
    table = _table("Ranking (model order, best first)" if vm.command == "rerank" else "Score")
    _column(table, "#", right=True)
    _column(table, "candidate")
    table.add_column("score", no_wrap=True)
    if vm.executed:
        _column(table, "tests")
    _column(table, "status")
    for row in rows:
        table.add_row(*_cells(vm, row))
    return table


def signals_table(vm: ViewModel, rows: Sequence[CandidateView]) -> Table:
    """The model's signals per candidate (lower energy, higher gain and consensus = better)."""
    table = _table("Model signals (energy: lower = better; gain, consensus: higher = better)")
    for header in ("#", "energy", "no-action energy", "action gain", "latent consensus"):
        _column(table, header, right=True)
    for row in rows:
        consensus = "n/a" if vm.command == "score" else _num(row.consensus)
        table.add_row(
            Text(str(row.position)),
            Text(_num(row.energy)),
            Text(_num(row.no_action_energy)),
            Text(_num(row.action_gain)),
            Text(consensus),
        )
    return table


def baseline_table(vm: ViewModel, rows: Sequence[CandidateView]) -> Table:
    """Each baseline's rank of each candidate (1 = that baseline's best)."""
    table = _table("Baseline ranks (1 = best)")
    _column(table, "#", right=True)
    for name in vm.baselines:
        _column(table, name, right=True)
    for row in rows:
        table.add_row(
            Text(str(row.position)),
            *(Text(_rank(row.baseline_ranks.get(name))) for name in vm.baselines),
        )
    return table


def orders_table(vm: ViewModel) -> Table:
    """Each ranker's order of the candidate ids, the model's first."""
    table = _table("Orders (best first)")
    _column(table, "ranker")
    _column(table, "order")
    for order in vm.orders:
        table.add_row(Text(order.name, style="bold"), Text("  >  ".join(order.candidate_ids)))
    return table


def diff_panel(row: CandidateView) -> Panel:
    """The candidate's unified diff against the before, coloured by the `diff` lexer."""
    title = Text(f"#{row.position} {row.candidate_id}  +{row.lines_added} -{row.lines_removed}")
    body = Syntax(row.unified_diff, "diff", theme="ansi_dark", word_wrap=True)
    return Panel(body, title=title, title_align="left")


def _header(vm: ViewModel) -> Panel:
    lines = Text()
    lines.append("instruction: ", style="bold")
    lines.append(vm.instruction if vm.instruction is not None else "(none: null action)")
    for key, value in vm.facts.items():
        lines.append(f"\n{key}: ", style="dim")
        lines.append(value)
    return Panel(lines, title=Text(_title(vm)), title_align="left")


def _title(vm: ViewModel) -> str:
    return vm.title or f"codelewm {vm.command}"


def _execution_line(vm: ViewModel) -> Text:
    if vm.executed:
        isolation = ", ".join(vm.isolation) or "unknown"
        checks = sorted({c.execution.checks for c in vm.candidates if c.execution is not None})
        return Text(
            f"Code was EXECUTED: candidates ran against {', '.join(checks) or 'the given tests'} "
            f"in the sandbox (isolation: {isolation}).",
            style="bold yellow",
        )
    return Text("No code was executed: these scores are static (world model and baselines).")


def _cells(vm: ViewModel, row: CandidateView) -> list[RenderableType]:
    score = score_bar(row.bar)
    score.append(f" {_num(row.final_score)}")
    cells: list[RenderableType] = [
        Text(str(row.position)),
        Text(row.candidate_id, style="bold" if row.position == 1 else ""),
        score,
    ]
    if vm.executed:
        run = row.execution
        shown = run.status if run else "-"
        if run is not None and run.execution_score is not None:
            shown += f" (exec {run.execution_score:+.2f})"
        cells.append(Text(shown))
    status = row.status if row.changed or not row.valid else "valid (no change)"
    cells.append(Text(status, style="green" if row.valid else "red"))
    return cells


def _notes(vm: ViewModel, rows: Sequence[CandidateView]) -> list[Text]:
    notes = [Text(f"warning: {warning}", style="yellow") for warning in vm.warnings]
    for row in rows:
        notes += [Text(f"warning [{row.candidate_id}]: {w}", style="yellow") for w in row.warnings]
        if row.error is not None:
            note = Text(f"error [{row.candidate_id}] {row.error.error_type}: ", style="bold red")
            note.append(row.error.message, style="red")
            note.append(f"\n  hint: {row.error.remediation}", style="dim")
            notes.append(note)
    return notes


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _rank(value: int | None) -> str:
    return "-" if value is None else str(value)


__all__ = [
    "baseline_table",
    "diff_panel",
    "orders_table",
    "ranking_table",
    "recommendation_panel",
    "render_terminal",
    "score_bar",
    "signals_table",
]
