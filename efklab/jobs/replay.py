"""Replays into OpenSearch, every event accounted for: payload files (``efklab replay``) and notebook runs.

``replay_files`` is the command's recipe: checkpointed and resumable, dead letters in a file,
the index template installed, bulk requests read ahead while one is in flight.  ``replay_fresh``
is the notebooks': payloads into fresh indices of a prefix.  Only indices and templates an earlier
workbench replay created (their mapping carries a mark) are replaced, so a production prefix is
never wiped; its dead letters stay in memory for the notebook to show.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from efklab.adapters.files import check_inputs, expand_inputs
from efklab.adapters.opensearch import (
    MAX_WORKERS,
    install_index_template,
    remote_errors,
    send_batches,
)
from efklab.adapters.payloadfiles import count_payload_records, iter_payload_records
from efklab.adapters.replayfiles import (
    DeadLetterFile,
    check_dead_letters,
    check_writable,
    fingerprint_inputs,
    load_checkpoint,
    save_checkpoint,
)
from efklab.cloudwatch.schema import Payload, payload_from_json
from efklab.errors import EfklabError, UsageError
from efklab.jobs.connect import Connected, connect
from efklab.jobs.transform import transform_options
from efklab.lambda_.checkpoint import (
    DEFAULT_DEAD_LETTERS,
    ReplayCheckpoint,
    ReplayProgress,
    check_progress,
    check_resumable,
)
from efklab.lambda_.indextemplate import pattern_for, replay_template
from efklab.lambda_.replay import replay_records
from efklab.lambda_.transform import TransformOptions
from efklab.model import UNREADABLE_STAGES, Reject
from efklab.opensearch.batches import BatchAnswer
from efklab.opensearch.bulk import BulkAction, BulkSettings, ReplaySummary, RetryPolicy

READ_AHEAD = 2  # bulk requests read, transformed and rendered in the background while one is in flight
_BULK = BulkSettings()
WORKBENCH_MARK = "efklab workbench"  # in the mapping _meta of every index a workbench replay creates


@dataclass(frozen=True, slots=True)
class FileReplay:
    """What a file replay did, and where its dead letters and checkpoint are.

    A replay that stopped early (``complete`` False, ``stopped`` says why) has a summary of the
    first ``records_done`` input records only: exactly what its checkpoint holds.
    """

    summary: ReplaySummary
    dead_letters: str | None  # the dead-letter file, when it holds any
    checkpoint: str | None
    opensearch_url: str | None  # None when the checkpoint recorded a complete replay and nothing was sent
    complete: bool = True
    stopped: str | None = None
    records_done: int = 0
    records: int | None = None  # input records, when they were counted (resume, progress bar)
    caveat: str | None = None  # why the summary may differ from an uninterrupted replay's


def resume_caveat(resumed: int) -> str | None:
    """Why a resumed replay's "new" count may be lower than an uninterrupted one's (None when not resumed)."""
    if not resumed:
        return None
    return (f"resumed {resumed} time(s): a request the interrupted run sent but got no answer for may have indexed "
            "documents, which were sent again and count as overwritten, not new; every other count is exact")


def bulk_settings(*, chunk_size: int = _BULK.chunk_size, chunk_bytes: int = _BULK.chunk_bytes,
                  max_retries: int = _BULK.retry.max_retries,
                  initial_backoff: float = _BULK.retry.initial_backoff) -> BulkSettings:
    """Bulk chunking and retries from the command's options; impossible values are a UsageError."""
    for name, value in (("chunk_size", chunk_size), ("chunk_bytes", chunk_bytes)):
        if value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    if max_retries < 0 or initial_backoff < 0:
        raise UsageError("--max-retries and --initial-backoff cannot be negative")
    retry = RetryPolicy(max_retries=max_retries, initial_backoff=initial_backoff)
    return BulkSettings(chunk_size=chunk_size, chunk_bytes=chunk_bytes, retry=retry)


def replay_files(
    inputs: Sequence[str], *, mode: str = "opensearch", index_strategy: str = "seed", prefix: str = "mydata",
    tz: str = "UTC", opensearch_url: str | None = None, aws_region: str | None = None, ca_certs: str | None = None,
    no_verify_tls: bool = False, checkpoint: str | None = None, dead_letters: str | None = None,
    no_template: bool = False, chunk_size: int = _BULK.chunk_size, chunk_bytes: int = _BULK.chunk_bytes,
    max_retries: int = _BULK.retry.max_retries, initial_backoff: float = _BULK.retry.initial_backoff,
    workers: int = 1,
    say: Callable[[str], None] = lambda _: None, on_items: Callable[[int], None] = lambda _: None,
    on_sent: Callable[[], None] = lambda: None, on_unreadable: Callable[[Reject], None] = lambda _: None,
    on_start: Callable[[int, int], None] | None = None, on_records: Callable[[int], None] = lambda _: None,
    on_stopped: Callable[[FileReplay], None] = lambda _: None, sleep: Callable[[float], None] = time.sleep,
) -> FileReplay:
    """Replay payload files (a directory stands for its files) into OpenSearch: every action ends indexed or
    in the dead-letter file.

    With ``checkpoint`` progress is recorded there and a re-run resumes exactly where the last one
    stopped (same inputs and transform options required).  Everything that can be checked is
    checked before anything is sent: the inputs, the whole checkpoint (fields, counts, inputs,
    options, records done), and that the checkpoint and dead-letter files can be written.
    ``on_start(records, records_done)``: the input records, counted up front (only when given).
    ``on_items`` is told how many actions were answered, ``on_records`` how many input records
    were completed, ``on_sent`` once when sending stops (before any closing note),
    ``on_unreadable`` of each payload record that cannot be read, as it is read, and
    ``on_stopped`` of what was done (``complete`` False) when the replay stops early.
    ``workers``: bulk requests in flight at once; answers are still accounted in input order, so
    checkpoints, counts and dead letters are those of a one-request replay.
    """
    check_workers(workers)
    options = transform_options(mode=mode, index_strategy=index_strategy, prefix=prefix, tz=tz)
    settings = bulk_settings(chunk_size=chunk_size, chunk_bytes=chunk_bytes, max_retries=max_retries,
                             initial_backoff=initial_backoff)
    files = expand_inputs(inputs)
    check_inputs(files)
    option_map = {"mode": options.mode, "index_strategy": options.index_strategy, "prefix": options.prefix,
                  "tz": options.tz}
    fingerprints = fingerprint_inputs(files) if checkpoint else ()
    previous = load_checkpoint(checkpoint) if checkpoint else None
    letters_path = dead_letters or (previous.dead_letters if previous else None) or DEFAULT_DEAD_LETTERS
    records = count_payload_records(files) if previous is not None or on_start is not None else None
    start, resumed = ReplayProgress(), 0
    if previous is not None and checkpoint:
        check_resumable(previous, fingerprints, option_map, source=checkpoint)
        if (dead_letters and previous.dead_letters
                and Path(dead_letters).resolve() != Path(previous.dead_letters).resolve()):
            raise UsageError(f"this checkpoint writes dead letters to {previous.dead_letters}; drop --dead-letters "
                             "or delete the checkpoint", source=checkpoint)
        assert records is not None
        check_progress(previous, records, source=checkpoint)
        if previous.complete:
            say(f"{checkpoint} records a complete replay; nothing to do (delete it to replay again)")
            kept = letters_path if previous.progress.letters_offset else None
            return FileReplay(previous.progress.summary, kept, checkpoint, None, records_done=records,
                              records=records, caveat=resume_caveat(previous.resumed))
        check_dead_letters(letters_path, previous.progress.letters_offset)
        start, resumed = previous.progress, previous.resumed + 1
    check_writable(letters_path, what="dead-letter file (choose another with --dead-letters)")
    if checkpoint:
        check_writable(checkpoint, what="checkpoint")
    if on_start is not None:
        assert records is not None
        on_start(records, start.records_done)
    if resumed:
        say(f"resuming after {start.records_done} payload record(s) from {checkpoint}")
    last = start
    target: Connected | None = None
    letters: DeadLetterFile | None = None

    def save(progress: ReplayProgress, complete: bool = False) -> None:
        nonlocal last
        last = progress
        assert letters is not None
        letters.sync()
        if checkpoint:
            save_checkpoint(checkpoint, ReplayCheckpoint(fingerprints, option_map, progress, letters.path, complete,
                                                         resumed))

    def partial(why: BaseException) -> FileReplay:
        where = letters.path if letters is not None and last.letters_offset else None
        return FileReplay(last.summary, where, checkpoint, target.url if target else None, complete=False,
                          stopped=str(why) or type(why).__name__, records_done=last.records_done, records=records,
                          caveat=resume_caveat(resumed))

    try:
        target = connect(opensearch_url, aws_region=aws_region, ca_certs=ca_certs, no_verify_tls=no_verify_tls,
                         say=say)
        if not no_template:
            name, body = replay_template(pattern_for(options))
            install_index_template(target.client, target.conn, name, body)
        resume_at = start.letters_offset if previous else None
        letters = DeadLetterFile(str(Path(letters_path).resolve()), resume_at=resume_at)
        read = _naming_unreadable(iter_payload_records(files), start.records_done, on_unreadable)
        progress = replay_records(read, bulk_sender(target, settings, sleep, workers), options=options, letters=letters,
                                  start=start, on_checkpoint=save, on_items=on_items, on_records=on_records)
        on_sent()
        save(progress, complete=True)
    except (EfklabError, KeyboardInterrupt) as exc:
        on_sent()
        on_stopped(partial(exc))
        if checkpoint and letters is not None:
            say(f"stopped; progress saved in {checkpoint}: run the same command again to resume")
        raise
    finally:
        if letters is not None:
            letters.close()
    return FileReplay(progress.summary, letters.path if progress.letters_offset else None, checkpoint, target.url,
                      records_done=progress.records_done, records=records, caveat=resume_caveat(resumed))


def check_workers(workers: int) -> None:
    """``--workers`` is a number of concurrent requests the client can hold connections for."""
    if not 1 <= workers <= MAX_WORKERS:
        raise UsageError(f"must be between 1 and {MAX_WORKERS}, not {workers}", source="--workers")


def bulk_sender(target: Connected, settings: BulkSettings | None = None, sleep: Callable[[float], None] = time.sleep,
                workers: int = 1) -> Callable[[Iterable[BulkAction]], Iterator[BatchAnswer]]:
    """How every replay sends: batches by count and bytes, the next ones read ahead while requests are in flight."""
    settings = settings or BulkSettings()

    def send(actions: Iterable[BulkAction]) -> Iterator[BatchAnswer]:
        return send_batches(target.client, target.conn, actions, settings=settings, sleep=sleep, read_ahead=READ_AHEAD,
                            workers=workers)

    return send


def _naming_unreadable(records: Iterable[Payload | Reject], skip: int,
                       on_unreadable: Callable[[Reject], None]) -> Iterator[Payload | Reject]:
    """``records`` unchanged; each unreadable one after the first ``skip`` goes to ``on_unreadable`` as it is read."""
    for number, record in enumerate(records):
        if number >= skip and isinstance(record, Reject) and record.stage in UNREADABLE_STAGES:
            on_unreadable(record)
        yield record


def replay_fresh(target: Connected, payloads: Iterable[dict[str, Any]], *, prefix: str, primaries: int = 1,
                 mode: str = "opensearch", index_strategy: str = "seed") -> tuple[str, ReplaySummary]:
    """Replace the indices of ``prefix`` by a replay of the payloads, ``primaries`` primary shards each.

    Only indices an earlier workbench replay created are deleted (their mapping carries a mark);
    any other index matching the pattern stops the replay, so a production prefix is never wiped.
    Returns the index pattern and the replay summary (every event accounted for).
    """
    if primaries < 1:
        raise UsageError(f"primaries must be at least 1, not {primaries}", source="--primaries")
    options = TransformOptions(mode=mode, index_strategy=index_strategy, prefix=prefix)
    pattern = pattern_for(options)
    if not pattern.startswith(prefix):
        raise UsageError(f"the index names of {index_strategy!r} ({mode} mode) do not start with the prefix "
                         f"{prefix!r}: a workbench replay writes only into indices of its own prefix "
                         "(use a template such as '{prefix}-{date:%Y.%m.%d}')", source="--index-strategy")
    clear_workbench_indices(target, pattern)
    clear_workbench_templates(target, prefix)
    name, body = replay_template(pattern)
    body = {**body, "_meta": {**body.get("_meta", {}), "created_by": WORKBENCH_MARK, "prefix": prefix}}
    template = dict(body["template"])
    template["mappings"] = {**template["mappings"], "_meta": {"created_by": WORKBENCH_MARK}}
    template["settings"] = {"index": {"number_of_shards": primaries, "number_of_replicas": 0}}
    install_index_template(target.client, target.conn, name, {**body, "template": template})
    records = (payload_from_json(p, source="pipeline", position=n) for n, p in enumerate(payloads, start=1))
    progress = replay_records(records, bulk_sender(target), options=options, letters=MemoryLetters())
    with remote_errors(target.conn):
        target.client.indices.refresh(index=pattern, ignore_unavailable=True, allow_no_indices=True)
    return pattern, progress.summary


def clear_workbench_templates(target: Connected, prefix: str) -> list[str]:
    """Delete the index templates earlier workbench replays of ``prefix`` installed (another naming may overlap)."""
    with remote_errors(target.conn):
        answer = target.client.indices.get_index_template(name="efklab-*", ignore=(404,))
    names = [t["name"] for t in answer.get("index_templates", [])
             if (t["index_template"].get("_meta") or {}).get("created_by") == WORKBENCH_MARK
             and (t["index_template"].get("_meta") or {}).get("prefix") == prefix]
    for name in names:
        with remote_errors(target.conn):
            target.client.indices.delete_index_template(name=name)
    return names


def clear_workbench_indices(target: Connected, pattern: str) -> list[str]:
    """Delete the indices matching ``pattern`` that a workbench replay created; refuse if others match."""
    if pattern.strip("*-_.") == "" or pattern.startswith((".", "_")):
        raise UsageError(f"refusing to clear the index pattern {pattern!r}", source="--prefix")
    with remote_errors(target.conn):
        mappings = target.client.indices.get_mapping(index=pattern, ignore_unavailable=True, allow_no_indices=True)
    foreign = sorted(name for name, body in mappings.items()
                     if ((body.get("mappings") or {}).get("_meta") or {}).get("created_by") != WORKBENCH_MARK)
    if foreign:
        raise UsageError(f"{len(foreign)} index(es) matching {pattern} were not created by an efklab replay "
                         f"(e.g. {foreign[0]}); they are left alone: choose another prefix", source="--prefix")
    names = sorted(mappings)
    for start in range(0, len(names), 50):  # keep each request line short
        with remote_errors(target.conn):
            target.client.indices.delete(index=",".join(names[start:start + 50]), ignore_unavailable=True)
    return names


def release(target: Connected, patterns: Sequence[str], *, keep: bool = False) -> str:
    """Delete the workbench indices of ``patterns`` (shards are scarce on one node), unless ``keep``."""
    if keep:
        return "kept " + ", ".join(patterns)
    deleted = sum(len(clear_workbench_indices(target, pattern)) for pattern in patterns)
    return f"deleted {deleted} indices ({', '.join(patterns)}); set keep_indices to explore them after the run"


class MemoryLetters:
    """Dead letters kept in memory (a notebook or a comparison shows them; nothing is written)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        self.records.append(record)

    def offset(self) -> int:
        return len(self.records)
