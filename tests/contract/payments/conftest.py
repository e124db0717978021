"""Fixtures for the PaymentGateway contract: every test runs against each adapter (today the sandbox only)."""

from __future__ import annotations

import pytest

from src.adapters.payments.sandbox import SandboxPaymentGateway
from src.application.shop.payments import PaymentGateway


@pytest.fixture(params=["sandbox"])
def sut(request: pytest.FixtureRequest) -> PaymentGateway:
    return SandboxPaymentGateway(webhook_secret="whsec_contract")
