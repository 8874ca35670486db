"""Distances between two orders of the same items: inversions and a heaviest in-order subsequence.

Pure algorithms over integer ranks, O(n log n) each, so a stream of a million lines is measured
in seconds rather than hours.
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence


def count_inversions(values: Sequence[int]) -> int:
    """Pairs i < j with values[i] > values[j], in O(n log n) (merge sort); tiny inputs (tie groups) directly."""
    n = len(values)
    if n < 2:
        return 0
    if n == 2:
        return int(values[0] > values[1])
    if n <= 10:
        return sum(a > b for i, a in enumerate(values) for b in values[i + 1 :])
    items = list(values)
    inversions = 0
    width = 1
    while width < n:
        merged: list[int] = []
        for lo in range(0, n, 2 * width):
            left, right = items[lo : lo + width], items[lo + width : lo + 2 * width]
            i = j = 0
            while i < len(left) and j < len(right):
                if right[j] < left[i]:
                    merged.append(right[j])
                    inversions += len(left) - i
                    j += 1
                else:
                    merged.append(left[i])
                    i += 1
            merged.extend(left[i:])
            merged.extend(right[j:])
        items = merged
        width *= 2
    return inversions


def heaviest_increasing(values: Sequence[int], weights: Sequence[int]) -> list[int]:
    """Positions of a heaviest strictly increasing subsequence of distinct ``values`` (the lines left in place)."""
    order = sorted(set(values))
    size = len(order)
    tree = [(0, -1)] * (size + 1)  # Fenwick tree of (best weight, position) over value ranks
    best_before: list[int] = [-1] * len(values)
    total: list[int] = [0] * len(values)
    for i, value in enumerate(values):
        rank = bisect_left(order, value)
        best, where, k = 0, -1, rank
        while k > 0:
            if tree[k][0] > best:
                best, where = tree[k]
            k -= k & -k
        total[i], best_before[i] = best + weights[i], where
        k = rank + 1
        while k <= size:
            if tree[k][0] < total[i]:
                tree[k] = (total[i], i)
            k += k & -k
    if not values:
        return []
    end = max(range(len(values)), key=lambda i: total[i])
    chain = []
    while end >= 0:
        chain.append(end)
        end = best_before[end]
    return chain[::-1]
