"""Sets of seqs <-> the compact ranges an Ack carries."""

from collections.abc import Iterable

from wire.messages import SeqRange


def compress(seqs: Iterable[int]) -> list[SeqRange]:
    """[1, 2, 3, 7, 9, 10] -> [1-3, 7-7, 9-10]."""
    ranges: list[SeqRange] = []
    first = last = None
    for seq in sorted(set(seqs)):
        if last is not None and seq == last + 1:
            last = seq
            continue
        if first is not None and last is not None:
            ranges.append(SeqRange(first=first, last=last))
        first = last = seq
    if first is not None and last is not None:
        ranges.append(SeqRange(first=first, last=last))
    return ranges
