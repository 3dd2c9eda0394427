"""The Textual app behind `views.tui` (imported only when the optional `tui` extra is installed).

A ranked `DataTable` (arrows move, enter selects) above a scrolling details pane that shows the
selected candidate's scores, validity, errors and coloured diff; `q` quits.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from codelewm.views.model import CandidateView, ViewModel
from codelewm.views.terminal import score_bar

CSS = """
#summary { height: auto; padding: 0 1; }
#ranking { height: auto; max-height: 45%; }
#details-scroll { height: 1fr; border-top: solid $accent; padding: 0 1; }
"""


class RerankApp(App[None]):
    """Browse one rerank: the model's ranking and each candidate's diff against the before."""

    CSS = CSS
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]

    def __init__(self, vm: ViewModel) -> None:
        super().__init__()
        self.vm = vm
        self.selected: CandidateView | None = None
        self.title = vm.title or "codelewm rerank"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(summary(self.vm), id="summary")
        yield DataTable(id="ranking", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="details-scroll"):
            yield Static(id="details")
        yield Footer()

    def on_mount(self) -> None:
        table: DataTable[RenderableType] = self.query_one("#ranking", DataTable)
        table.add_columns("#", "candidate", "score", "energy", "gain", *self._baseline_columns())
        table.add_column("status")
        for row in self.vm.candidates:
            table.add_row(*self._cells(row), key=str(row.position))
        table.focus()
        if self.vm.candidates:
            self.show(self.vm.candidates[0])

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        position = int(str(event.row_key.value))
        self.show(self.vm.candidates[position - 1])

    def show(self, row: CandidateView) -> None:
        """Put `row`'s details in the pane."""
        self.selected = row
        self.query_one("#details", Static).update(details(row))

    def _baseline_columns(self) -> list[str]:
        return [f"{name} #" for name in self.vm.baselines]

    def _cells(self, row: CandidateView) -> list[RenderableType]:
        score = score_bar(row.bar, width=10)
        score.append(f" {_num(row.final_score)}")
        ranks = [Text(str(row.baseline_ranks.get(name, "-"))) for name in self.vm.baselines]
        style = "green" if row.valid else "red"
        return [
            Text(str(row.position)),
            Text(row.candidate_id),
            score,
            Text(_num(row.energy)),
            Text(_num(row.action_gain)),
            *ranks,
            Text(row.status if row.changed or not row.valid else "valid (no change)", style=style),
        ]


def summary(vm: ViewModel) -> Text:
    """Instruction, execution statement and call-level warnings."""
    text = Text("instruction: ", style="bold")
    text.append(vm.instruction if vm.instruction is not None else "(none: null action)")
    if vm.executed:
        layers = ", ".join(vm.isolation) or "unknown"
        text.append(f"\nCode was EXECUTED against tests (isolation: {layers}).", style="yellow")
    else:
        text.append("\nNo code was executed: scores are static.", style="dim")
    rec = vm.recommendation
    if rec is not None:
        text.append("\nrecommended: ", style="bold")
        text.append(rec.candidate_id or "none", style="bold green" if rec.candidate_id else "red")
        text.append(f" — {rec.reason}")
    if vm.trust is not None:
        text.append(f"\ntrust: {vm.trust.statement}", style="yellow")
    for warning in vm.warnings:
        text.append(f"\nwarning: {warning}", style="yellow")
    return text


def details(row: CandidateView) -> Group:
    """Everything about one candidate, its diff last."""
    head = Text(f"#{row.position} {row.candidate_id}", style="bold")
    head.append(f"   {row.status}", style="green" if row.valid else "red")
    head.append(f"\norigin: {row.origin}   score: {_num(row.final_score)}", style="dim")
    head.append(
        f"   energy: {_num(row.energy)}   action gain: {_num(row.action_gain)}", style="dim"
    )
    if row.execution is not None:
        head.append(f"\ntests: {row.execution.status}", style="yellow")
    parts: list[RenderableType] = [head]
    if row.error is not None:
        error = Text(f"{row.error.error_type}: {row.error.message}", style="red")
        error.append(f"\nhint: {row.error.remediation}", style="dim")
        parts.append(error)
    parts += [Text(f"warning: {warning}", style="yellow") for warning in row.warnings]
    if row.unified_diff:
        parts.append(Syntax(row.unified_diff, "diff", theme="ansi_dark", word_wrap=True))
    elif row.after_code is not None:
        parts.append(Text("The candidate is identical to the before.", style="italic"))
    return Group(*parts)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
