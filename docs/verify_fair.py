#!/usr/bin/env python3
"""Check a Casino-Club play without the server: Python 3.11+, standard library only.

    python verify_fair.py --config slot.json --server-seed S --client-seed C --nonce N --bet 100 [--streak K]
    python verify_fair.py --config gacha.json --server-seed S --client-seed C --nonce N --count 10 [--pity P]

`--config` is the game's published config (GET /api/games/slot/config or /api/games/gacha/config) at the
play's `config_version`; `--streak` / `--pity` are the proof's `streak` / `pity_counter` (the state before the
play). Prints the server seed's SHA-256 (compare it with the hash you were shown before playing) and the outcome
as JSON (compare it with the proof's `outcome`).

The algorithm (also in API.md, "Fairness"):
  * round r gives HMAC_SHA256(key=server_seed, msg=f"{client_seed}:{nonce}:{r}"): 32 bytes, eight 32-bit
    big-endian words, each the float word / 2^32 = Σ byte_i / 256^(i+1); rounds 0, 1, 2, … as needed.
  * a ticket below n takes k = ceil(bits(n-1)/32) words as one number v; with q = 2^(32k) // n it is v // q when
    v < q·n, else the next words are read (no modulo bias: every ticket has exactly q numbers).
  * slot: W = Σ symbol weights; one ticket t below W³; reel i (0, 1, 2) is the base-W digit (t // W^i) % W, and
    the symbol is the first whose cumulative weight exceeds it. Three alike pay triple_multiplier, exactly two
    alike pay the pair's pair_multiplier; a paying spin adds min(streak·step, cap) and floors bet·multiplier.
  * gacha: rarity weights are the rates' decimals scaled to integers by the largest number of decimals; each
    pull draws a ticket below the total of the candidates' weights (best first: Legendary, Epic, Rare, Common;
    only Legendary and Epic once the pity counter reaches pity_threshold - 1), then an item index below the
    pool's size, then, below Epic, one float: a near miss when it is below near_miss_rate.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import math
import struct
from decimal import Decimal
from pathlib import Path
from typing import Any

RARITIES = ("Legendary", "Epic", "Rare", "Common")  # best first


class Stream:
    def __init__(self, server_seed: str, client_seed: str, nonce: int) -> None:
        self.key, self.prefix, self.round, self.words = server_seed.encode(), f"{client_seed}:{nonce}:", 0, []

    def word(self) -> int:
        if not self.words:
            block = hmac.new(self.key, f"{self.prefix}{self.round}".encode(), hashlib.sha256).digest()
            self.words, self.round = list(struct.unpack(">8I", block)), self.round + 1
        return self.words.pop(0)

    def float(self) -> float:
        return self.word() / 2**32

    def below(self, n: int) -> int:
        k = max(1, -(-(n - 1).bit_length() // 32))
        q = 2 ** (32 * k) // n
        while True:
            v = 0
            for _ in range(k):
                v = (v << 32) | self.word()
            if v < q * n:
                return v // q


def band(weights: list[int], ticket: int) -> int:
    for index, weight in enumerate(weights):
        if ticket < weight:
            return index
        ticket -= weight
    raise ValueError("ticket beyond the weights")


def slot(config: dict[str, Any], stream: Stream, bet: int, streak: int) -> dict[str, Any]:
    symbols = config["symbols"]
    weights = [int(s["weight"]) for s in symbols]
    total = sum(weights)
    ticket = stream.below(total**3)
    a, b, c = (band(weights, (ticket // total**i) % total) for i in range(3))
    reels = [symbols[i]["name"] for i in (a, b, c)]
    if a == b == c:
        outcome, paid = "triple", Decimal(symbols[a]["triple_multiplier"])
    elif a in (b, c) or b == c:
        outcome, paid = "pair", Decimal(symbols[b if b == c else a]["pair_multiplier"])
    else:
        outcome, paid = "lose", Decimal(0)
    if not paid:
        return {"reels": reels, "outcome": outcome, "multiplier": 0.0, "payout": 0, "streak": 0}
    bonus = min(streak * Decimal(config["streak_bonus_step"]), Decimal(config["streak_bonus_cap"]))
    effective = paid * (1 + bonus)
    payout = math.floor(bet * effective)
    return {"reels": reels, "outcome": outcome, "multiplier": float(effective), "payout": payout, "streak": streak + 1}


def gacha(config: dict[str, Any], stream: Stream, count: int, pity: int) -> dict[str, Any]:
    rates = {r: Decimal(config["rates"][r]) for r in RARITIES}
    places = max(-min(0, rate.as_tuple().exponent) for rate in rates.values())
    weights = {r: int(rate.scaleb(places)) for r, rate in rates.items()}
    items = []
    for _ in range(count):
        forced = pity >= int(config["pity_threshold"]) - 1
        candidates = [r for r in (RARITIES[:2] if forced else RARITIES) if weights[r] > 0]
        rarity = candidates[band([weights[r] for r in candidates], stream.below(sum(weights[r] for r in candidates)))]
        pool = config["pools"][rarity]
        item = pool[stream.below(len(pool))]
        low = rarity in RARITIES[2:]
        near_miss = low and stream.float() < float(config["near_miss_rate"])
        pity = pity + 1 if low else 0
        items.append({"item_id": item["item_id"], "rarity": rarity, "near_miss": near_miss})
    return {"items": items, "pity_counter": pity}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, required=True, help="the game's published config (JSON file)")
    parser.add_argument("--server-seed", required=True)
    parser.add_argument("--client-seed", required=True)
    parser.add_argument("--nonce", type=int, required=True)
    parser.add_argument("--bet", type=int, help="slot: the bet")
    parser.add_argument("--streak", type=int, default=0, help="slot: the win streak before the spin")
    parser.add_argument("--count", type=int, help="gacha: 1 or 10")
    parser.add_argument("--pity", type=int, default=0, help="gacha: the pity counter before the pull")
    args = parser.parse_args()
    config = json.loads(args.config.read_text(), parse_float=Decimal)  # decimals as published, not binary floats
    stream = Stream(args.server_seed, args.client_seed, args.nonce)
    if "symbols" in config:
        outcome = slot(config, stream, args.bet, args.streak)
    else:
        outcome = gacha(config, stream, args.count, args.pity)
    seed_hash = hashlib.sha256(args.server_seed.encode()).hexdigest()
    print(json.dumps({"server_seed_hash": seed_hash, "outcome": outcome}))


if __name__ == "__main__":
    main()
