from collections import Counter

from probes.catalogue import get_task
from probes.sampling import rotating_selection, rotation_order, runs_to_cover


def test_rotation_covers_every_sample_once_per_period() -> None:
    task = get_task("T.1")  # 40 samples, 20 "yes" / 20 "no"
    assert runs_to_cover(task, 10) == 4
    seen: list[str] = []
    for run in range(4):
        window = rotating_selection(task, "v1", 10, run)
        assert len(window) == 10
        answers = Counter(s.target["answer"] for s in window)
        assert answers == {"yes": 5, "no": 5}  # stratified: every window balanced
        seen.extend(s.id for s in window)
    assert sorted(seen) == sorted(s.id for s in task.samples)
    # the fifth run starts the rotation again
    fifth, first = rotating_selection(task, "v1", 10, 4), rotating_selection(task, "v1", 10, 0)
    assert [s.id for s in fifth] == [s.id for s in first]


def test_rotation_is_seeded_by_suite_version() -> None:
    task = get_task("T.1")
    assert [s.id for s in rotation_order(task, "v1")] == [s.id for s in rotation_order(task, "v1")]
    assert [s.id for s in rotation_order(task, "v1")] != [s.id for s in rotation_order(task, "v2")]


def test_uneven_window_wraps_around() -> None:
    task = get_task("T.1")
    ids = [s.id for run in range(3) for s in rotating_selection(task, "v1", 15, run)]
    assert len(ids) == 45 and len(set(ids)) == 40  # 40 samples covered within ceil(40/15) = 3 runs


def test_large_window_is_the_whole_task() -> None:
    task = get_task("T.1")
    assert len(rotating_selection(task, "v1", 1000, 7)) == len(task.samples)
