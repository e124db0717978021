"""A typed Python client generated from the running server's /schema/openapi.json with openapi-python-client
(no hand edits) signs up, spins, buys gems and reads a refusal as the error envelope."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api import PASSWORD
from tests.support.processes import serving

pytestmark = pytest.mark.e2e

PACKAGE = "cc_generated_client"


def _generate(spec: Path, into: Path) -> None:
    bin_dir = Path(sys.executable).parent
    command = [str(bin_dir / "openapi-python-client"), "generate", "--path", str(spec), "--meta", "none"]
    result = subprocess.run(
        [*command, "--output-path", str(into / PACKAGE)],
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},  # it formats with ruff
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr  # nothing was skipped


def test_a_generated_client_signs_up_spins_and_buys(env: dict[str, str], tmp_path: Path) -> None:
    with serving(env) as url:
        spec = tmp_path / "openapi.json"
        spec.write_bytes(httpx.get(f"{url}/schema/openapi.json", timeout=60).content)  # built on first request
        _generate(spec, tmp_path)
        sys.path.insert(0, str(tmp_path))
        try:
            client: Any = importlib.import_module(PACKAGE)
            signup: Any = importlib.import_module(f"{PACKAGE}.api.identity.signup")
            slot_spin: Any = importlib.import_module(f"{PACKAGE}.api.games.slot_spin")
            shop_buy: Any = importlib.import_module(f"{PACKAGE}.api.shop.shop_buy")
            wallet: Any = importlib.import_module(f"{PACKAGE}.api.wallet.wallet")
            game_history: Any = importlib.import_module(f"{PACKAGE}.api.games.game_history")
            models: Any = importlib.import_module(f"{PACKAGE}.models")

            site_id = f"g_{uuid.uuid4().hex[:12]}"
            body = models.SignupIn(site_id=site_id, nickname=site_id[-12:], password=PASSWORD, invite_code="5858")
            tokens = signup.sync(client=client.Client(base_url=url), body=body)
            assert isinstance(tokens, models.TokensOut), tokens
            player = client.AuthenticatedClient(base_url=url, token=tokens.access_token)

            spin = slot_spin.sync(client=player, body=models.SpinIn(bet=10))
            bought = shop_buy.sync(
                client=player,
                body=models.BuyIn(sku="gems_100", card_token="tok_visa"),
                idempotency_key=uuid.uuid4().hex,
            )
            refused = slot_spin.sync(client=player, body=models.SpinIn(bet=10_000))  # more than the balance
            balances = wallet.sync(client=player)
            history = game_history.sync(client=player)
        finally:
            sys.path.remove(str(tmp_path))
            for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
                del sys.modules[name]

    assert isinstance(spin, models.SpinOut)
    assert spin.balance_after == 1000 - 10 + spin.payout
    assert isinstance(bought, models.BuyOut)
    assert (bought.status, bought.gems_granted) == ("captured", 100)
    assert isinstance(refused, models.ErrorEnvelope)
    assert refused.error.code == "INSUFFICIENT_FUNDS"
    assert balances.gems == 100
    assert isinstance(history, models.HistoryListOut)  # a generic list has a plain name, not a module path
    assert len(history.items) >= 1
