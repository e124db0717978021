"""VAPID keys: from the settings, or (development) generated once and kept under VAR_DIR/vapid/."""

from __future__ import annotations

import base64
import os
import tempfile
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


def is_pem(value: str) -> bool:
    return value.replace("\\n", "\n").strip().startswith("-----BEGIN")


def configured_keys(value: str) -> VapidKeys:
    """VAPID_PRIVATE_KEY: the PEM itself (newlines may be written as \\n) or the path of a PEM file."""
    text = value.replace("\\n", "\n").strip()
    if is_pem(text):
        return VapidKeys.from_private_pem(text.encode())
    if not Path(text).is_file():
        raise FileNotFoundError(f"VAPID_PRIVATE_KEY names {text}, which does not exist: run `casino-club vapid-key`")
    return VapidKeys.from_private_pem(Path(text).read_bytes())


def key_file(path: Path) -> VapidKeys:
    """The key in `path`, generated there first when missing. Creation never overwrites: the new key is written
    to a temporary file and hard-linked into place, so of two processes racing, both end up with the same key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        keys = VapidKeys.generate()
        descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
        temporary = Path(name)
        with os.fdopen(descriptor, "wb") as file:
            file.write(keys.private_pem)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            temporary.unlink()
    return VapidKeys.from_private_pem(path.read_bytes())


def development_keys(var_dir: Path) -> VapidKeys:
    """Generated on first run; later runs (and other processes on the same VAR_DIR) reuse the file."""
    return key_file(var_dir / "vapid" / "private_key.pem")
