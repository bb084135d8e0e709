"""Domain errors, each with a stable code that the edges map to HTTP problems and exit codes."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule the domain refuses; `code` is stable and machine-readable."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    code = "invalid_input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    code = "not_found"


class QuoteNotFound(NotFound):
    code = "quote_not_found"


class BookingNotFound(NotFound):
    code = "booking_not_found"


class QuoteExpired(DomainError):
    code = "quote_expired"


class ProviderNotCandidate(DomainError):
    code = "provider_not_candidate"


class NoProvidersAvailable(DomainError):
    code = "no_providers_available"


class SlotTaken(DomainError):
    code = "slot_taken"


class TimeInPast(DomainError):
    code = "time_in_past"


class IllegalTransition(DomainError):
    code = "illegal_transition"


class IdempotencyConflict(DomainError):
    """The same idempotency key was sent with a different request body."""

    code = "idempotency_key_reused"


class IdempotencyInProgress(DomainError):
    """A request with this idempotency key is still being processed."""

    code = "idempotency_key_in_progress"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


class PaymentError(DomainError):
    """The payment provider refused or failed; `retryable` says whether trying again may help."""

    code = "payment_error"

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class RetryablePaymentError(PaymentError):
    """The provider may not have seen the request, or failed transiently (network, 5xx, 429,
    lock timeout): the same request with the same idempotency key may be sent again."""

    code = "payment_retryable"

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=True)


class PermanentPaymentError(PaymentError):
    """The provider refused the request itself (card declined, invalid request, idempotency
    key reused with other parameters): sending it again cannot help."""

    code = "payment_refused"

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class UnknownPaymentObject(PermanentPaymentError):
    """The provider has no such object (Stripe's `resource_missing`): an event about it is
    acknowledged and ignored, never retried, since asking again cannot make it exist."""

    code = "payment_object_unknown"


class CardDeclined(PermanentPaymentError):
    """The card's issuer refused the hold (Stripe's `card_error`: declined, insufficient
    funds, expired card, ...). A business outcome, not an incident: the booking's payment ends
    as failed, its slot is freed and the customer is told; nothing waits for a person."""

    code = "card_declined"


class WebhookSignatureInvalid(DomainError):
    """A webhook's signature is missing, wrong or too old: its body must not be trusted."""

    code = "webhook_signature_invalid"


class ConcurrentUpdate(DomainError):
    """Another transaction changed the record first; the caller may retry."""

    code = "concurrent_update"


class LockTimeout(ConcurrentUpdate):
    """The record's lock could not be taken in time; the caller (or Stripe) should retry."""

    code = "lock_timeout"


def _subclasses(cls: type[DomainError]) -> list[type[DomainError]]:
    found: list[type[DomainError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def rebuild(code: str, message: str) -> DomainError:
    """The domain error a stored refusal stood for, so that a replay raises the same type."""
    for cls in _subclasses(DomainError):
        if cls.code == code and cls.__init__ is DomainError.__init__:
            return cls(message)
    error = DomainError(message)
    error.code = code
    return error


class CatalogueChangeStrandsBooking(DomainError):
    """A catalogue change would leave held or confirmed bookings outside the vendor's hours
    or services; `booking_ids` lists them so that they can be moved or cancelled first."""

    code = "catalogue_change_strands_booking"

    def __init__(self, message: str, booking_ids: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.booking_ids = booking_ids


class TokenRevoked(Unauthenticated):
    """The token was revoked or replaced by a rotation; it never works again."""

    code = "token_revoked"


class TokenExpired(Unauthenticated):
    code = "token_expired"


class PrincipalNotFound(NotFound):
    code = "principal_not_found"


class DeliveryFailed(DomainError):
    """A notifier could not deliver a notification; `retryable` says whether trying again
    may help (a timeout, a 5xx) or not (an address the server refuses for good)."""

    code = "delivery_failed"

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable
