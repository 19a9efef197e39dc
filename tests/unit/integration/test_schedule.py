"""The worker's scheduler takes the drop folder and the plan derivation at the times the settings name."""

from __future__ import annotations

from celery.schedules import crontab

from internal.integration.tasks import _integration_schedule


def test_crontab_times_and_intervals_become_beat_entries_and_an_empty_setting_turns_a_run_off():
    schedule = _integration_schedule(
        {"IMPORT_DROP_SCHEDULE": "*/10 6-18 * * 1-5", "PLAN_DERIVE_SCHEDULE": "30 5 * * 1"}
    )

    drop, derive = schedule["import-drop-folder"], schedule["derive-demand-plan"]
    assert drop["task"] == "portal.import_drop_folder"
    assert drop["schedule"] == crontab(minute="*/10", hour="6-18", day_of_week="1-5")
    assert derive["task"] == "portal.derive_demand_plan"
    assert derive["schedule"] == crontab(minute="30", hour="5", day_of_week="1")

    assert _integration_schedule({"IMPORT_DROP_SCHEDULE": "2.5", "PLAN_DERIVE_SCHEDULE": ""}) == {
        "import-drop-folder": {"task": "portal.import_drop_folder", "schedule": 2.5}
    }
