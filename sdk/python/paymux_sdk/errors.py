"""The SDK's typed errors."""


class PaymuxSdkError(Exception):
    """Base of every error the SDK raises."""


class SignatureVerificationError(PaymuxSdkError):
    """A webhook whose `Paymux-Signature` is missing, malformed, wrong or too old."""

    def __init__(self, message: str, header: str = "") -> None:
        super().__init__(message)
        self.header = header
