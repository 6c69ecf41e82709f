"""Time and profile the read pages in-process (Flask test client, no HTTP), on both databases.

    .venv/bin/python bench/profile_pages.py                      # every page, both databases
    .venv/bin/python bench/profile_pages.py --pages day,week --backends sqlite --runs 200
    .venv/bin/python bench/profile_pages.py --keep /tmp/pole-prof  # build once, reuse after
    .venv/bin/python bench/profile_pages.py --pages post          # successful booking POSTs

Builds the bench year once per database (bench/data.py), logs in as the demo volunteer, then
for each page: a few warm-up requests, N timed requests (median, best and p90), the number of
SQL statements of one request, the Python calls per request and the top lines of a cProfile of
N more requests. The calls are the steady measure when the machine is busy. Without a
server and a load client in the way, a change shows in the same run even on a busy machine.
"""

from __future__ import annotations

import contextlib
import pickle
import re
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT), str(BENCH)]

import data  # noqa: E402
import profiling  # noqa: E402
from common import scratch_database  # noqa: E402

PAGES = ("day", "week", "month", "find", "conflict", "post", "home")


def make_app(url: str):  # noqa: ANN201
    return profiling.bench_app(url, "profile-pages")


def build(url: str) -> tuple[object, data.Facts]:
    from flask_migrate import upgrade

    app = make_app(url)
    with app.app_context():
        upgrade()
    return app, data.build(app)


@contextlib.contextmanager
def database(backend: str, keep: Path | None):  # noqa: ANN201
    """The app on a built bench year: a scratch one, or the one kept in `keep` (built once)."""
    if keep is None:
        with (
            tempfile.TemporaryDirectory() as workdir,
            scratch_database(backend, Path(workdir), prefix="pole_profile") as (url, _server_url),
        ):
            yield build(url)
        return
    facts_path = keep / f"facts-{backend}.pickle"
    url = profiling.kept_url(backend, keep, "pole_profile_kept", facts_path)
    if facts_path.exists():
        yield make_app(url), pickle.loads(facts_path.read_bytes())  # noqa: S301 (our own file)
        return
    app, facts = build(url)
    facts_path.write_bytes(pickle.dumps(facts))
    yield app, facts


def login(app):  # noqa: ANN001, ANN201
    client = app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    client.post(
        "/connexion", data={"email": data.VOLUNTEER, "password": data.PASSWORD, "csrf_token": token}
    )
    page = client.get("/").get_data(as_text=True)
    return client, re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def requests_of(page: str, facts: data.Facts, token: str) -> list[tuple[str, str, dict, int]]:
    """(method, path, form, expected status) cycled through for one page, as bench/run.py does."""
    days = facts.busy_days
    hall = facts.resources["Hall d'accueil"]
    if page == "day":
        return [("GET", f"/agenda?date={d}", {}, 200) for d in days]
    if page == "week":
        rooms = [hall, facts.resources["Cuisine équipée"], facts.resources["Bureau partagé 1"]]
        return [
            ("GET", f"/salles/{rooms[i % 3]}/semaine?date={d}", {}, 200) for i, d in enumerate(days)
        ]
    if page == "month":
        months = sorted({f"{d:%Y-%m}" for d in days})
        return [("GET", f"/agenda/mois?mois={m}", {}, 200) for m in months] + [
            ("GET", f"/salles/{hall}/mois?mois={m}", {}, 200) for m in months
        ]
    if page == "home":
        return [("GET", "/", {}, 200)]
    if page == "find":
        return [
            ("GET", f"/agenda/trouver?date={d}&moment=apres-midi&duration=120&people=12", {}, 200)
            for d in days
        ] + [
            ("GET", f"/agenda/trouver?date={d}&until={d + timedelta(days=6)}&duration=60", {}, 200)
            for d in days
        ]
    resource_id, day, start, end = facts.taken_slot
    form = {
        "resource_id": str(resource_id),
        "organisation_id": str(facts.organisations["restos"]),
        "date": day.isoformat(),
        "start": start,
        "end": end,
        "title": "Entretien individuel",
        "quantity": "1",
        "csrf_token": token,
    }
    return [("POST", "/reservations", form, 422)]


def post_sender(client, token, facts):  # noqa: ANN001, ANN201
    """Successful booking POSTs (303), each on the next free half-hour of the bench year.

    A kept year remembers what earlier runs booked: the free slots they took are skipped
    (answered 422) before the timed requests begin.
    """
    slots = iter(facts.free_slots)
    # Each POST's session comes back with its flash message: replaying the logged-in cookie,
    # as bench/run.py's client does, keeps them from piling up (a browser shows them).
    logged_in = client.get_cookie("session").value

    def post() -> int:
        client.set_cookie("session", logged_in)
        resource_id, day, start, end = next(slots)
        form = {
            "resource_id": str(resource_id),
            "organisation_id": str(facts.organisations["restos"]),
            "date": day.isoformat(),
            "start": start,
            "end": end,
            "title": "Réunion",
            "quantity": "1",
            "csrf_token": token,
        }
        return client.post("/reservations", data=form).status_code

    def send(_i: int) -> None:
        status = post()
        if status != 303:
            raise SystemExit(f"post: POST /reservations answered {status}")

    def skip_taken() -> None:
        while (status := post()) != 303:
            if status != 422:
                raise SystemExit(f"post: POST /reservations answered {status}")

    return send, skip_taken


def profile_page(app, client, token, facts, page: str, runs: int, top: int, sort: str) -> dict:  # noqa: ANN001, PLR0913
    if page == "post":
        send, skip_taken = post_sender(client, token, facts)
        skip_taken()
        requests = []
    else:
        requests = requests_of(page, facts, token)

        def send(i: int) -> None:
            method, path, form, expected = requests[i % len(requests)]
            response = client.open(path, method=method, data=form or None)
            if response.status_code != expected:
                raise SystemExit(f"{page}: {method} {path} answered {response.status_code}")

    return profiling.measure(app, send, runs, top, sort, warm_up=max(5, len(requests)))


def main() -> int:
    args = profiling.arguments(__doc__, "pages", PAGES)
    summary = []
    for backend in args.backends.split(","):
        with database(backend, args.keep) as (app, facts):
            client, token = login(app)
            for page in args.pages.split(","):
                result = profile_page(
                    app, client, token, facts, page, args.runs, args.top, args.sort
                )
                profiling.note(summary, backend, page, result, args.top)
    profiling.print_summary(summary, "page", args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
