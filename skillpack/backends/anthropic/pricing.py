"""What Claude costs: USD per million tokens by model, and the cost of a call's usage."""

from __future__ import annotations

from dataclasses import dataclass

from skillpack.backends.base import Usage


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens: fresh input, output, 5-minute cache write, cache read."""

    input: float
    output: float
    cache_write: float
    cache_read: float


#: When ``PRICES`` was last checked against Anthropic's pricing page (platform.claude.com/docs,
#: "Pricing") and the model pages. Models not listed here get ``cost_usd=None``, never a guess.
PRICES_AS_OF = "2026-11-28"

#: Prices by model id; a dated id (``claude-sonnet-4-5-20250929``) uses its alias's row.
#: Claude Haiku 5.5 is left out on purpose: its price depends on the prompt length of each request.
PRICES: dict[str, Price] = {
    "claude-fable-5-1": Price(10.0, 50.0, 12.5, 0.25),
    "claude-mythos-5-1": Price(10.0, 50.0, 12.5, 0.25),
    "claude-fable-5": Price(10.0, 50.0, 12.5, 1.0),
    "claude-mythos-5": Price(10.0, 50.0, 12.5, 1.0),
    "claude-opus-5-5": Price(4.0, 20.0, 5.0, 0.2),
    "claude-opus-5": Price(5.0, 25.0, 6.25, 0.5),
    "claude-opus-4-8": Price(5.0, 25.0, 6.25, 0.5),
    "claude-opus-4-7": Price(5.0, 25.0, 6.25, 0.5),
    "claude-opus-4-6": Price(5.0, 25.0, 6.25, 0.5),
    "claude-opus-4-5": Price(5.0, 25.0, 6.25, 0.5),
    "claude-opus-4-1": Price(15.0, 75.0, 18.75, 1.5),
    "claude-opus-4": Price(15.0, 75.0, 18.75, 1.5),
    # Sonnet 5.5's cache reads were cut from $0.20 to $0.10 per million on 2026-10-07.
    "claude-sonnet-5-5": Price(2.0, 10.0, 2.5, 0.1),
    "claude-sonnet-5": Price(2.0, 10.0, 2.5, 0.2),
    "claude-sonnet-4-6": Price(3.0, 15.0, 3.75, 0.3),
    "claude-sonnet-4-5": Price(3.0, 15.0, 3.75, 0.3),
    "claude-sonnet-4": Price(3.0, 15.0, 3.75, 0.3),
    "claude-haiku-4-5": Price(1.0, 5.0, 1.25, 0.1),
    "claude-3-5-haiku": Price(0.8, 4.0, 1.0, 0.08),
    "claude-3-haiku": Price(0.25, 1.25, 0.3, 0.03),
}


def price_for(model: str) -> Price | None:
    """Return the price of ``model`` (an alias or a dated id), or None when skillpack does not know it."""
    if model in PRICES:
        return PRICES[model]
    head, _, suffix = model.rpartition("-")
    if suffix.isdigit() and len(suffix) == 8 and head in PRICES:
        return PRICES[head]
    return None


def cost_usd(model: str, usage: Usage) -> float | None:
    """Return what ``usage`` cost on ``model`` in USD, or None when the price is unknown."""
    price = price_for(model)
    if price is None:
        return None
    total = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_write_tokens * price.cache_write
        + usage.cache_read_tokens * price.cache_read
    )
    return total / 1_000_000
