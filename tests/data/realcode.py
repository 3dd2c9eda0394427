"""Real functions (copied from CPython 3.11's standard library) used as fixed test inputs."""

from __future__ import annotations

# bisect.bisect_right from CPython 3.11 (Lib/bisect.py), docstring shortened.
BISECT_RIGHT = '''
def bisect_right(a, x, lo=0, hi=None, *, key=None):
    """Return the index where to insert item x in list a, assuming a is sorted."""

    if lo < 0:
        raise ValueError('lo must be non-negative')
    if hi is None:
        hi = len(a)
    # Note, the comparison uses "<" to match the
    # __lt__() logic in list.sort() and in heapq.
    if key is None:
        while lo < hi:
            mid = (lo + hi) // 2
            if x < a[mid]:
                hi = mid
            else:
                lo = mid + 1
    else:
        while lo < hi:
            mid = (lo + hi) // 2
            if x < key(a[mid]):
                hi = mid
            else:
                lo = mid + 1
    return lo
'''

# A function that offers a site for every operator (shaped after textwrap/heapq helpers).
EVERY_OP = """
def window_sum(items, size, strict=False):
    total = 0
    count = len(items)
    for i in range(count):
        if not strict and i + size <= count:
            total += items[i] * 2
        elif strict or size > 1:
            total = max(total, size)
    return total
"""


# heapq.heappush / heapq._siftdown from CPython 3.11 (Lib/heapq.py), comments dropped.
HEAPQ = '''
"""Heap queue algorithm (a.k.a. priority queue)."""

def heappush(heap, item):
    """Push item onto heap, maintaining the heap invariant."""
    heap.append(item)
    _siftdown(heap, 0, len(heap)-1)

def _siftdown(heap, startpos, pos):
    newitem = heap[pos]
    while pos > startpos:
        parentpos = (pos - 1) >> 1
        parent = heap[parentpos]
        if newitem < parent:
            heap[pos] = parent
            pos = parentpos
            continue
        break
    heap[pos] = newitem

def tiny():
    return 1
'''

# bisect.bisect_left from CPython 3.11 (Lib/bisect.py), docstring shortened, comments dropped.
BISECT_LEFT = '''
def bisect_left(a, x, lo=0, hi=None, *, key=None):
    """Return the index where to insert item x in list a, assuming a is sorted (leftmost)."""

    if lo < 0:
        raise ValueError('lo must be non-negative')
    if hi is None:
        hi = len(a)
    if key is None:
        while lo < hi:
            mid = (lo + hi) // 2
            if a[mid] < x:
                lo = mid + 1
            else:
                hi = mid
    else:
        while lo < hi:
            mid = (lo + hi) // 2
            if key(a[mid]) < x:
                lo = mid + 1
            else:
                hi = mid
    return lo
'''

# textwrap.indent from CPython 3.11 (Lib/textwrap.py), docstring shortened.
INDENT = '''
def indent(text, prefix, predicate=None):
    """Adds 'prefix' to the beginning of selected lines in 'text'.

    If 'predicate' is provided, 'prefix' will only be added to the lines
    where 'predicate(line)' is True.
    """
    if predicate is None:
        def predicate(line):
            return line.strip()

    def prefixed_lines():
        for line in text.splitlines(True):
            yield (prefix + line if predicate(line) else line)
    return ''.join(prefixed_lines())
'''

# heapq.heapify, textwrap.TextWrapper._fix_sentence_endings and shlex.quote from CPython 3.11.
HEAPIFY = '''
def heapify(x):
    """Transform list into a heap, in-place, in O(len(x)) time."""
    n = len(x)
    for i in reversed(range(n//2)):
        _siftup(x, i)
'''

FIX_SENTENCE_ENDINGS = """
def _fix_sentence_endings(self, chunks):
    i = 0
    patsearch = self.sentence_end_re.search
    while i < len(chunks)-1:
        if chunks[i+1] == " " and patsearch(chunks[i]):
            chunks[i+1] = "  "
            i += 2
        else:
            i += 1
"""

QUOTE = r'''
def quote(s):
    """Return a shell-escaped version of the string *s*."""
    if not s:
        return "''"
    if _find_unsafe(s) is None:
        return s
    return "'" + s.replace("'", "'\"'\"'") + "'"
'''

REAL_FUNCTIONS = (BISECT_RIGHT, BISECT_LEFT, HEAPQ, INDENT, HEAPIFY, FIX_SENTENCE_ENDINGS, QUOTE)
