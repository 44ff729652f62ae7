"""A worker of a run: chunks of input lines in, charge lines out (one COPY per worker).

The run's reader (runner.py) streams the inputs of every account of the partition, one text
line per account in account order (storage.runs.INPUTS), and hands chunks of whole lines to
the workers. A worker parses a chunk, builds each account's `AccountInputs`, computes it, adds
its penalty lines, and writes the lines through one COPY into the run's lines table (sent by a
background thread), committed at the end.

Identical inputs give identical lines: the engine is pure and the account number only names an
account in error messages. So each account's services are split in two (`Reference.split`):
those computed without meters are memoised by everything the engine reads for them (house
attributes, areas, persons, rooms, installability, services, absences), computed and
formatted once for all the flats alike; those with the account's meters are computed each time.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import re
import time
from decimal import Decimal

from psycopg.copy import QueuedLibpqWriter

from accruals.domain import benefits as bn
from accruals.domain import subsidies as sb
from accruals.domain.charges import ChargeError, EngineSettings, compute
from accruals.domain.charges.model import EMPTY
from accruals.run import explain
from accruals.run.benefits import INFORMATIONAL, NO_RECIPIENT, SUBSIDY
from accruals.run.benefits import lines as benefit_lines
from accruals.run.inputs import HISTORY_MONTHS, RS, US, Reference, may_have_gaps, months_back
from accruals.run.penalties import METHOD as PENALTY
from accruals.run.penalties import PenaltyLines
from accruals.storage import runs as storage
from gorod_runtime.period import Period

MAX_PROBLEMS = 100
NULL = "\\N"
COLLECT_EVERY = 16           # chunks between two garbage collections (automatic collection is off)
MEMO_MAX = 100_000           # memoised inputs kept by a worker (then forgotten at once)
_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_UNESCAPE = re.compile(r"\\(.)")
_UNESCAPED = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\", "b": "\b", "f": "\f", "v": "\v"}
_DATA_ERRORS = (ChargeError, ArithmeticError, ValueError, KeyError, TypeError, IndexError)


@dataclasses.dataclass
class Job:
    db_url: str
    run_id: int
    period: str              # YYYY-MM
    settings: EngineSettings
    penalty_settings: object = None
    benefit_settings: bn.BenefitSettings = bn.DEFAULT_SETTINGS
    subsidy_settings: sb.SubsidySettings = sb.DEFAULT_SETTINGS
    with_history: bool = False   # closed runs exist in the readings window (billed volumes of gaps)
    profile: str = ""         # a file for cProfile stats (development)


@dataclasses.dataclass
class Result:
    accounts: int = 0
    lines: int = 0
    charges: int = 0
    penalties: int = 0
    errors: int = 0
    memo_hits: int = 0
    problems: list = dataclasses.field(default_factory=list)
    shapes: dict = dataclasses.field(default_factory=dict)
    seconds: float = 0.0
    peak_mb: float = 0.0


def _escape(text: str) -> str:
    return text.translate(_ESCAPES) if _SPECIAL.search(text) else text


def _unescape(field: str) -> str:
    return _UNESCAPE.sub(lambda m: _UNESCAPED.get(m.group(1), m.group(1)), field)


def worker_main(job: Job, tasks, results) -> None:
    """Process entry point: take chunks (bytes) from `tasks` until None, put a Result in `results`."""
    try:
        if job.profile:
            import cProfile

            profiler = cProfile.Profile()
            result = profiler.runcall(_work, job, iter(tasks.get, None))
            profiler.dump_stats(job.profile)
        else:
            result = _work(job, iter(tasks.get, None))
        results.put(result)
    except BaseException as exc:   # reported to the parent, which fails the run
        results.put(RuntimeError(f"worker failed: {type(exc).__name__}: {exc}"))
        raise


def _work(job: Job, chunks) -> Result:
    import resource

    started = time.perf_counter()
    worker = Worker(job)
    try:
        for data in chunks:
            worker.chunk(data)
        worker.finish()
    finally:
        worker.close()
    result = worker.result
    result.shapes = worker.shapes.take_new()
    result.seconds = time.perf_counter() - started
    result.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


class Worker:
    def __init__(self, job: Job):
        self.job = job
        period = Period.parse(job.period)
        self.first = period.first_day
        self.first_text = self.first.isoformat()
        self.prev_text = months_back(period, 1).first_day.isoformat()
        self.since = months_back(period, HISTORY_MONTHS).first_day
        self.result = Result()
        self.shapes = explain.Shapes()
        self.penalties = PenaltyLines(period, job.penalty_settings)
        self.read = storage.connect(job.db_url)
        self.write = storage.connect(job.db_url)
        cur = self.read.cursor()
        self.reference = Reference(period, storage.services(cur), storage.tariffs(cur), storage.norms(cur),
                                   storage.houses(cur))
        if self.reference.common_codes:
            self.reference.house_areas = storage.house_areas(cur)
        self.read.commit()
        cursor = self.write.cursor()
        # A background thread sends the data: Python computes the next chunk meanwhile.
        self.copy_context = cursor.copy(storage.copy_lines_statement(job.run_id), writer=QueuedLibpqWriter(cursor))
        self.copy = self.copy_context.__enter__()
        self.head = f"{job.run_id}\t"
        self.dates: dict[str, dt.date] = {}
        self.memo: dict[tuple, tuple] = {}
        self.prefixes: dict[tuple, tuple] = {}
        self.reference.sewage_sources = job.settings.sewage_source_kinds
        self.chunks = 0
        # The run's objects live as long as the run: collect by hand, rarely (see COLLECT_EVERY).
        gc.collect()
        gc.freeze()
        gc.disable()

    def close(self) -> None:
        gc.enable()
        for conn in (self.read, self.write):
            if not conn.closed:
                conn.close()

    def finish(self) -> None:
        self.copy_context.__exit__(None, None, None)
        self.write.commit()

    def chunk(self, data: bytes) -> None:
        text = data.decode()
        rows = [line.split("\t") for line in text.split("\n") if line]
        if text.count("\\") != text.count("\\N"):     # a value with an escaped character (rare)
            rows = [[f if f == NULL else _unescape(f) for f in fields] for fields in rows]
        billed = self._billed(rows) if self.job.with_history else {}
        self.copy.write(self._lines(rows, billed))
        self.chunks += 1
        if self.chunks % COLLECT_EVERY == 0:
            gc.collect()
        if len(self.memo) > MEMO_MAX:
            self.memo.clear()

    # -- the accounts of a chunk ----------------------------------------------------------

    def _lines(self, rows: list[list[str]], billed: dict) -> str:
        out: list[str] = []
        extend = out.extend
        reference = self.reference
        house_of = reference.house
        services_of = reference.service_set
        settings = self.job.settings
        result = self.result
        memo = self.memo
        head_prefix = self.head
        for fields in rows:
            if len(fields) != 16:
                raise ValueError(f"an input line has {len(fields)} fields, not 16")
            house_id, number, total, heated, residents, registered, installable, rooms, codes, readings, absences, \
                entries, open_text, imported, holders, subsidy = fields
            head = head_prefix + number
            result.accounts += 1
            try:
                house = house_of(int(house_id))
                services = services_of(codes if imported == NULL else reference.without(codes, imported))
                meters = reference.meters(readings, billed.get(number)) if readings != NULL else EMPTY
                plain, metered = reference.split(services, frozenset(meters)) if meters else (services, ())
                absent = reference.absences(absences) if absences != NULL else ()
                open_days = reference.open_days(open_text) if open_text != NULL else None
                flat = (number, house, total, heated, int(residents), int(registered), installable == "t", int(rooms))
                if holders != NULL or subsidy != NULL:
                    # Benefits and subsidies read the account's lines: computed in one piece, not memoised.
                    account = reference.inputs(*flat, services, meters, absent, open_days)
                    lines = compute(account, settings)
                    lines += benefit_lines(lines, account, None if holders == NULL else holders,
                                           None if subsidy == NULL else subsidy, self.job.benefit_settings,
                                           self.job.subsidy_settings)
                    tails, kopecks = self._tails(lines, 0)
                else:
                    key = (house[0], total, heated, residents, registered, installable, rooms, id(plain), absences, open_text)
                    hit = memo.get(key)
                    if hit is None:
                        hit = memo[key] = self._tails(compute(reference.inputs(*flat, plain, EMPTY, absent, open_days), settings), 0)
                    else:
                        result.memo_hits += 1
                    tails, kopecks = hit
                    if metered:
                        lines = compute(reference.inputs(*flat, metered, meters, absent, open_days), settings)
                        more, more_kopecks = self._tails(lines, len(tails))
                        tails = tails + more
                        kopecks += more_kopecks
                no = len(tails)
            except _DATA_ERRORS as exc:
                result.errors += 1
                if len(result.problems) < MAX_PROBLEMS:
                    result.problems.append({"account": number, "service": getattr(exc, "service_code", ""),
                                            "error": type(exc).__name__, "message": str(exc)[:500]})
                continue
            result.charges += kopecks
            result.lines += no
            extend([head + tail for tail in tails])
            if entries != NULL:
                self._penalties(head, no, entries, out)
        return "".join(out)

    def _tails(self, lines, start: int) -> tuple[list[str], int]:
        """The lines as COPY text after the account number (line numbers from start + 1), and their sum."""
        encode = self.shapes.encode
        prefixes = self.prefixes
        tails = []
        kopecks = 0
        no = start
        for line in lines:
            no += 1
            e = line.explanation
            sid, facts = encode(e.formula, e.inputs, e.steps, e.notes, e.method)
            if "\\" in facts or "\t" in facts or "\n" in facts or "\r" in facts:
                facts = facts.translate(_ESCAPES)
            kop = int(line.amount.scaleb(2))
            if line.method not in INFORMATIONAL:
                kopecks += kop
            key = (line.service_code, line.component, line.zone, line.band, line.method, line.unit, line.recalculation,
                   line.reason)
            prefix = prefixes.get(key)
            if prefix is None:
                prefix = prefixes[key] = self._prefix(line)
            volume = line.volume
            tariff = line.tariff
            tails.append(f"\t{no}{prefix[0]}{NULL if volume is None else str(volume)}{prefix[1]}"
                         f"{NULL if tariff is None else str(tariff)}\t{kop}{prefix[2]}{sid}\t{facts}\n")
        return tails, kopecks

    def _prefix(self, line) -> tuple[str, str, str]:
        """The constant parts of a line's COPY text around volume, tariff and amount."""
        recipient = NO_RECIPIENT if line.method == SUBSIDY else self.reference.recipients[line.service_code]
        return (f"\t{line.service_code}\t{recipient}\t{line.component}\t{line.zone}\t"
                f"{line.band}\t{line.method}\t", f"\t{line.unit}\t",
                f"\t{'t' if line.recalculation else 'f'}\t{line.reason}\t")

    def _penalties(self, head: str, no: int, text: str, out: list) -> None:
        by_recipient: dict[str, list] = {}
        dates = self.dates
        for record in text.split(RS):
            recipient, entry_id, kind, kopecks, day, period, reverses = record.split(US)
            entry_date = dates.get(day)
            if entry_date is None:
                entry_date = dates[day] = dt.date.fromisoformat(day)
            period_date = dates.get(period)
            if period_date is None:
                period_date = dates[period] = dt.date.fromisoformat(period)
            by_recipient.setdefault(recipient, []).append(
                (int(entry_id), kind, int(kopecks), entry_date, period_date, int(reverses) or None))
        for recipient, entries in by_recipient.items():
            entries.sort(key=lambda e: (e[3], e[0]))
            found = self.penalties.amount(entries)
            if found is None:
                continue
            amount, (formula, inputs, steps, notes, method) = found
            sid, facts = self.shapes.encode(formula, inputs, steps, notes, method)
            kop = int(amount.scaleb(2))
            no += 1
            self.result.penalties += kop
            self.result.lines += 1
            out.append(f"{head}\t{no}\t\t{recipient}\t\t\t\t{PENALTY}\t{NULL}\t\t{NULL}\t{kop}\tf\t\t{sid}\t{_escape(facts)}\n")

    def _billed(self, rows: list[list[str]]) -> dict:
        """{account: {(service, zone): {Period: (method, volume)}}} for accounts whose registers
        have periods without readings: what the closed runs billed for them."""
        accounts = [f[1] for f in rows if f[9] != NULL and may_have_gaps(f[9], self.first_text, self.prev_text)]
        if not accounts:
            return {}
        best: dict[tuple, tuple] = {}
        with self.read.cursor() as cur:
            found = storage.billed(cur, {"since": self.since, "first": self.first, "accounts": accounts})
        self.read.commit()
        for account, service, zone, period, run_id, method, volume in found:
            key = (account, service, zone, period)
            if key not in best or best[key][0] < run_id:
                best[key] = (run_id, method, None if volume is None else Decimal(volume))
        result: dict[str, dict] = {}
        for (account, service, zone, period), (_run_id, method, volume) in best.items():
            result.setdefault(account, {}).setdefault((service, zone), {})[Period(period.year, period.month)] = (method, volume)
        return result
