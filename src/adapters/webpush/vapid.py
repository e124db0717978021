"""VAPID keys: from the settings, or (development) generated once and kept under VAR_DIR/vapid/."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


@dataclass(frozen=True)
class VapidKeys:
    private_pem: bytes
    public_pem: bytes

    @property
    def application_server_key(self) -> str:
        """What browsers pass to pushManager.subscribe: the uncompressed P-256 point, URL-safe base64."""
        public = serialization.load_pem_public_key(self.public_pem)
        raw = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @classmethod
    def from_private_pem(cls, private_pem: bytes) -> VapidKeys:
        key = serialization.load_pem_private_key(private_pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("a VAPID key is an EC P-256 private key")
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(private_pem, public)

    @classmethod
    def generate(cls) -> VapidKeys:
        key = ec.generate_private_key(ec.SECP256R1())
        private = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return cls.from_private_pem(private)


def configured_keys(value: str) -> VapidKeys:
    """VAPID_PRIVATE_KEY: the PEM itself (newlines may be written as \\n) or the path of a PEM file."""
    text = value.replace("\\n", "\n").strip()
    pem = text.encode() if text.startswith("-----BEGIN") else Path(text).read_bytes()
    return VapidKeys.from_private_pem(pem)


def development_keys(var_dir: Path) -> VapidKeys:
    """Generated on first run; later runs (and other processes on the same VAR_DIR) reuse the file."""
    path = var_dir / "vapid" / "private_key.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        keys = VapidKeys.generate()
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(keys.private_pem)
        temporary.chmod(0o600)
        if not path.exists():
            temporary.replace(path)  # atomic: a concurrent first run keeps one of the two keys whole
        else:
            temporary.unlink()
    return VapidKeys.from_private_pem(path.read_bytes())
