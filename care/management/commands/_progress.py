from __future__ import annotations


def progress_printer(stream, label: str, *, every: int = 100):
    """A progress callback (done, total) that prints every ``every`` records and at the end."""

    def report(done: int, total: int) -> None:
        if done == total or done % every == 0:
            stream.write(f"{label}: {done}/{total} ({100 * done // max(total, 1)}%)")

    return report
