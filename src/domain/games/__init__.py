"""Game rules: the slot machine and the gacha, pure functions over a config and a random source."""
