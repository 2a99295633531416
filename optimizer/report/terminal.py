"""Report: the live terminal view (rich, an implementation of protocols.Events) and
the JSON report.

On a terminal the view is a live panel: the current stage, a progress bar over
the candidates, and a table of the candidates judged so far; it disappears at
the end, when the final table is printed once. Elsewhere (CI, pipes) it prints
one plain line per event, which logs well. A judgement is shown as made
("passed": verified and significantly faster); "kept" appears only once the
target's winner is chosen, so nothing shown is contradicted later.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from ..model import Hotspot, Outcome, Report, TargetResult
from ..scrub import clean


class View:
    def __init__(self, console=None, winner_word: str = "kept"):
        """`winner_word`: what a target's winner is called ("suggested" in a review,
        where nothing is kept)."""
        from rich.console import Console

        self.winner_word = winner_word
        self.console = console or Console(highlight=False)
        if not self.console.is_terminal:
            self.console.width = max(self.console.width, 140)   # logs: don't fold the table to 80 columns
        self.live = None
        self.started = time.time()
        self.shown: set[str] = set()   # notes already printed: the closing list does not repeat them
        self.rows: list[Outcome] = []
        self.progress = None
        self.task = None
        self.stage_text = ""
        if self.console.is_terminal:
            from rich.live import Live
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     console=self.console)
            self.live = Live(self._render(), console=self.console, refresh_per_second=8, transient=True)
            self.live.start()

    # -- events ---------------------------------------------------------------
    def stage(self, text: str) -> None:
        from rich.markup import escape

        self.stage_text = escape(text)
        if self.live:
            self.live.update(self._render())
        else:
            self.console.print(f"[bold]»[/bold] {self.stage_text}")

    def note(self, text: str) -> None:
        from rich.markup import escape

        self.shown.add(text)
        self.console.print(f"[yellow]![/yellow] {escape(clean(text))}")

    def candidates(self, target: str, total: int) -> None:
        if self.progress is not None:
            if self.task is not None:
                self.progress.remove_task(self.task)
            self.task = self.progress.add_task(f"candidates for {target}", total=total)
            self.live.update(self._render())

    def hotspots(self, hotspots: list[Hotspot]) -> None:
        """The profile the targets were chosen from: the top functions and their shares."""
        from rich.markup import escape

        if not hotspots:
            return
        top = ", ".join(f"{h.name} {100 * h.share:.0f}%" for h in hotspots[:8])
        self.console.print(f"[bold]profile[/bold] (share of the workload's samples): {escape(top)}")

    def judged(self, outcome: Outcome) -> None:
        self.rows.append(outcome)
        if self.live:
            self.progress.advance(self.task)
            self.live.update(self._render())
        else:
            from rich.markup import escape

            self.console.print(f"  {_fate(outcome)}  {escape(outcome.candidate.origin)}: {escape(outcome.reason)}")

    def target_done(self, result: TargetResult) -> None:
        """The target's final fates replace its judgements in the live table."""
        from rich.markup import escape

        self.rows = [o for o in self.rows if o.candidate.target != result.target] + list(result.outcomes)
        if self.live:
            self.live.update(self._render())
        if result.skipped:
            self.note(f"skipped {result.target.name}: {result.skipped}")
        elif result.winner is not None and not self.live:
            m = result.winner.measurement
            self.console.print(f"[bold]»[/bold] {escape(result.target.name)}: [green]{self.winner_word}[/green] "
                               f"{escape(result.winner.candidate.origin)} {m.speedup:.2f}x [{m.ci[0]:.2f}, {m.ci[1]:.2f}]")
        elif not self.live:
            self.console.print(f"[bold]»[/bold] {escape(result.target.name)}: nothing {self.winner_word}")

    def abort(self) -> None:
        """The run failed: stop the live panel, print nothing more."""
        if self.live:
            self.live.stop()
            self.live = None

    def close(self, report: Report, report_path: Path | None = None, html_path: Path | None = None) -> None:
        if self.live:
            self.live.stop()
            self.live = None
        self.rows = list(report.outcomes)
        if self.rows:
            self.console.print(self._table())
        for kept in report.kept:
            where = f"branch {kept.branch}" if kept.branch else "no branch"
            self.console.print(f"[green]kept[/green] {kept.target.name}: {kept.measurement.speedup:.2f}x "
                               f"[{kept.measurement.ci[0]:.2f}, {kept.measurement.ci[1]:.2f}] -> {where}, "
                               f"patch {kept.patch_file}" + (" (applied)" if kept.applied else ""))
            bands = kept.measurement.bands or {}
            if bands:
                self.console.print("  by call size: " + ", ".join(
                    f"{band} ({f['items']:,} item{'' if f['items'] == 1 else 's'}) " + (f"{f['speedup']:.2f}x [{f['ci'][0]:.2f}, {f['ci'][1]:.2f}]"
                                                         if "ci" in f else "not timed")
                    for band, f in bands.items()))
            outcome = next((o for o in report.outcomes if o.candidate is kept.candidate), None)
            said = _evidence_words(outcome.reason) if outcome else ""
            if said:   # what it was verified on, or that its evidence is weak
                from rich.markup import escape

                self.console.print(f"  {escape(said)}")
        if not report.kept and report.outcomes:
            self.console.print("nothing kept: no candidate was both verified and significantly faster")
        elif not report.outcomes:
            self.console.print("no candidate was judged")
        undecided = sum(o.status == "undecided" for o in report.outcomes)
        if undecided:
            self.console.print(f"[yellow]{undecided} candidate(s) undecided[/yellow]: the machine was too busy to "
                               f"tell whether they clear the threshold; run again on a quieter machine")
        for note in report.notes:
            if note not in self.shown:
                self.note(note)
        elapsed = time.time() - self.started
        self.console.print(f"{report.status} in {int(elapsed // 60)}m{elapsed % 60:04.1f}s"
                           + (f"; report: {report_path}" if report_path else ""))
        if html_path:
            self.console.print(f"open in a browser: {html_path}")

    # -- rendering -------------------------------------------------------------
    def _render(self):
        from rich.console import Group

        parts = [f"[bold]{self.stage_text}[/bold]"]
        if self.task is not None:
            parts.append(self.progress)
        if self.rows:
            parts.append(self._table())
        return Group(*parts)

    def _table(self):
        from rich.table import Table
        from rich.text import Text

        table = Table(title="candidates", expand=False)
        for col in ("target", "origin", "fate", "speedup", "reason"):
            table.add_column(col, overflow="fold")
        for o in self.rows:
            m = o.measurement
            speed = f"{m.speedup:.2f}x [{m.ci[0]:.2f}, {m.ci[1]:.2f}]" if m else "-"
            # Text, not markup: a reason quotes what the candidate printed or raised
            table.add_row(Text(o.candidate.target.qualname), Text(o.candidate.origin), _fate(o), speed,
                          Text(o.reason))
        return table


def _evidence_words(reason: str) -> str:
    """The part of a kept reason that says what it was verified on (evaluate.evidence_words)."""
    for word in ("verified: ", "kept with weak evidence: ", "checked by tests only: "):
        at = reason.find(word)
        if at >= 0:
            return reason[at:].split(", but ")[0]
    return ""


def _fate(o: Outcome) -> str:
    return {"kept": "[green]kept[/green]", "passed": "[green]passed[/green]",
            "undecided": "[yellow]undecided[/yellow]"}.get(o.status, "[red]rejected[/red]")


def write_json(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(report.to_json(), indent=2) + "\n")
    tmp.replace(path)   # a reader never sees half a report
