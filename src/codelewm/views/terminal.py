"""The terminal view (rich): ranking with score bars, baseline orders, coloured diffs, warnings.

Every string from the view model goes into a `rich.text.Text` (never into console markup), so a
candidate cannot inject styles; the view model is redacted again before drawing.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, RenderableType
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from codelewm.views.model import CandidateView, ViewModel, redact_view_model

BAR_WIDTH = 12
_EIGHTHS = " ▏▎▍▌▋▊▉"


def render_terminal(
    vm: ViewModel, console: Console, *, top: int | None = None, diffs: int = 3
) -> None:
    """Draw `vm` on `console`: `top` limits the ranked rows (None: all), `diffs` the diffs shown."""
    vm = redact_view_model(vm)
    shown = vm.candidates if top is None else vm.candidates[: max(top, 0)]
    console.print(_header(vm))
    console.print(_execution_line(vm))
    console.print(ranking_table(vm, shown))
    if vm.baselines:
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


def ranking_table(vm: ViewModel, rows: Sequence[CandidateView]) -> Table:
    """The model's ranking, one row per candidate, with each baseline's rank beside it."""
    table = Table(title="Ranking (model order, best first)", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("candidate")
    table.add_column("score", no_wrap=True)
    table.add_column("energy", justify="right")
    table.add_column("action gain", justify="right")
    for name in vm.baselines:
        table.add_column(f"{name} #", justify="right")
    if vm.executed:
        table.add_column("tests")
    table.add_column("status")
    for row in rows:
        table.add_row(*_cells(vm, row))
    return table


def orders_table(vm: ViewModel) -> Table:
    """Each ranker's order of the candidate ids, the model's first."""
    table = Table(title="Orders (best first)", title_justify="left")
    table.add_column("ranker")
    table.add_column("order")
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
    title = Text(vm.title or "codelewm rerank")
    return Panel(lines, title=title, title_align="left")


def _execution_line(vm: ViewModel) -> Text:
    if vm.executed:
        isolation = ", ".join(vm.isolation) or "unknown"
        return Text(
            f"Code was EXECUTED: candidates ran against the given tests in the sandbox "
            f"(isolation: {isolation}).",
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
        Text(_num(row.energy)),
        Text(_num(row.action_gain)),
    ]
    cells += [Text(_rank(row.baseline_ranks.get(name))) for name in vm.baselines]
    if vm.executed:
        cells.append(Text(row.execution.status if row.execution else "-"))
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


__all__ = ["diff_panel", "orders_table", "ranking_table", "render_terminal", "score_bar"]
