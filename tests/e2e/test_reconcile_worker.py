"""The reconciliation loop stores the double-charge figure without anyone running a command."""

from __future__ import annotations

from bookiji_core.usecases.reconcile import DOUBLE_CHARGES
from bookiji_entry.bootstrap import Services, inject
from bookiji_entry.bootstrap import loops as all_loops
from bookiji_entry.workers.reconcile import tick


def test_reconcile_is_one_of_the_background_loops(services: Services) -> None:
    assert "reconcile" in {loop.name for loop in all_loops(services)}


def test_a_pass_stores_the_double_charge_count_for_every_process(services: Services) -> None:
    report = inject(tick, services)
    assert report.double_charges == 0
    with services.uow() as uow:
        assert uow.controls.get(DOUBLE_CHARGES) == "0"
