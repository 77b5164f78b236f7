"""One model per boundary: strict request bodies, the stored client, the public responses."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    RootModel,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from clients_api.fields import (
    AdditionalInfo,
    AnsweredDateTime,
    AnsweredUuid,
    Birthday,
    ClientId,
    Email,
    Name,
    NewPassword,
    PasswordAttempt,
    Phone,
    SessionStatus,
    Sex,
)

if TYPE_CHECKING:
    from pydantic import GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema


class RequestModel(BaseModel):
    # strict: "5" is not a number; forbid: a typo is a 422, never a silent no-op;
    # defer_build: a function pays for building only the models it uses;
    # hide_input_in_errors: validation errors may be logged, inputs may be personal data.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, defer_build=True, hide_input_in_errors=True)


# ---------------------------------------------------------------- requests


class RegisterClient(RequestModel):
    first_name: Name
    last_name: Name
    email: Email
    password: NewPassword
    phone: Phone
    additional_info: AdditionalInfo | None = None
    birthday: Birthday | None = None
    sex: Sex | None = None


class ClientLookup(RequestModel):
    """The id in the other forms of `GET /clients`: `?client_id=` or a JSON body."""

    client_id: ClientId


class ProfileUpdate(RequestModel):
    """Base of every PATCH body: absent or null leaves a field unchanged, one change is required."""

    # The values that leave a field unchanged: what "at least one change" looks past.
    _NO_CHANGE: ClassVar[tuple[object, ...]] = (None,)

    @classmethod
    def _refused_bodies(cls, fields: list[str]) -> list[tuple[dict[str, Any], str]]:
        """The bodies this model refuses though each field in them is valid: a schema that matches
        them, and the rule in words."""
        nothing_changed = {"properties": {name: {"enum": list(cls._NO_CHANGE)} for name in fields}}
        return [(nothing_changed, "Absent or null leaves a field unchanged; at least one field must have a value.")]

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # The model validators' rules, in the schema's words. As a `not`, which client generators
        # leave aside, where an `anyOf` of the bodies allowed turns the body into a union of types.
        schema = handler.resolve_ref_schema(handler(core_schema))
        refused = cls._refused_bodies(list(schema["properties"]))
        schema["not"] = refused[0][0] if len(refused) == 1 else {"anyOf": [body for body, _ in refused]}
        schema["description"] = " ".join([*filter(None, [schema.get("description")]), *(rule for _, rule in refused)])
        return schema

    def changes(self) -> dict[str, Any]:
        """The fields to set, under their stored names (`phone_number` is folded into `phone`)."""
        values = {name: value for name, value in self if value is not None}
        if "phone_number" in values:
            values["phone"] = values.pop("phone_number")
        return values

    @model_validator(mode="after")
    def _at_least_one_change(self) -> Self:
        if not self.changes():
            raise PydanticCustomError("no_changes", "at least one field must be given a non-null value")
        return self


class PhoneAliases(ProfileUpdate):
    """`phone` and `phone_number` name the same field; a value under both is ambiguous. A null one
    is no value (absent and null mean the same everywhere), so it may sit beside the other."""

    phone: Phone | None = None
    phone_number: Phone | None = None

    @classmethod
    def _refused_bodies(cls, fields: list[str]) -> list[tuple[dict[str, Any], str]]:
        both = {
            "required": ["phone", "phone_number"],
            "properties": {"phone": {"type": "string"}, "phone_number": {"type": "string"}},
        }
        rule = "`phone` and `phone_number` name one field: send at most one of them with a value."
        return [*super()._refused_bodies(fields), (both, rule)]

    @model_validator(mode="after")
    def _one_phone_spelling(self) -> Self:
        if self.phone is not None and self.phone_number is not None:
            raise PydanticCustomError("phone_alias", "send either phone or phone_number, not both")
        return self


class ClientUpdate(PhoneAliases):
    """Any profile fields. `password` is a 422 here: it has an endpoint of its own, PATCH …/password."""

    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    additional_info: AdditionalInfo | None = None
    birthday: Birthday | None = None
    sex: Sex | None = None
    # Declared only to answer with a pointer instead of a bare "extra field" error; the document
    # leaves it out, as any other field the body may not hold.
    password: SkipJsonSchema[Any] = Field(default=None, exclude=True)

    @field_validator("password", mode="before")
    @classmethod
    def _password_has_its_own_endpoint(cls, value: object) -> None:
        raise PydanticCustomError(
            "password_not_here", "the password is changed with PATCH /api/v1/clients/{client_id}/password"
        )


def _null_string_is_null(value: object) -> object:
    # On this endpoint only, the string "null" leaves a name unchanged too: callers of the
    # first version of this API send `"first_name": "null"` to mean "keep it".
    return None if value == "null" else value


class FullNameUpdate(ProfileUpdate):
    """The first and/or last name; the string "null" leaves a name unchanged too."""

    _NO_CHANGE = (None, "null")

    first_name: Annotated[Name | None, BeforeValidator(_null_string_is_null)] = None
    last_name: Annotated[Name | None, BeforeValidator(_null_string_is_null)] = None


class PhoneNumberUpdate(PhoneAliases):
    """The phone number, as `phone_number` or `phone`."""


class AdditionalInfoUpdate(ProfileUpdate):
    """The additional info; "" clears it."""

    additional_info: AdditionalInfo | None = None


class PasswordChange(RequestModel):
    password: NewPassword
    current_password: PasswordAttempt | None = Field(
        default=None, description="The current password: a client must send it, a service may leave it out."
    )


class PasswordCheck(RequestModel):
    password: PasswordAttempt


class SessionsQuery(RequestModel):
    # Query strings are text: the limit is parsed from its digits.
    model_config = ConfigDict(strict=False)

    status: SessionStatus | None = Field(default=None, description="Only the sessions in this status.")
    # The contract's page sizes: 50 by default, at most 100 (one Query of 100 items of ~200 B
    # stays far under DynamoDB's 1 MB page).
    limit: Annotated[int, Field(ge=1, le=100)] = Field(default=50, description="Sessions per page.")
    cursor: Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^[A-Za-z0-9_-]+$")] | None = Field(
        default=None,
        description="Where the page starts: the X-Next-Cursor of the previous page, as it came (opaque; any"
        " other value is a 422).",
    )

    @field_validator("status", "cursor", mode="before")
    @classmethod
    def _text_only(cls, value: object) -> object:
        if value is not None and not isinstance(value, str):
            raise PydanticCustomError("string_type", "must be text")
        return value


# ---------------------------------------------------------------- storage


class StoredClient(BaseModel):
    """A client item as the clients table holds it."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    client_id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    additional_info: str | None = None
    birthday: date | None = None
    sex: Sex | None = None
    registered_at: datetime
    password_hash: str
    # Bumped by every change of the profile or the password (not by verification bookkeeping):
    # the optimistic-concurrency token, and the future ETag.
    version: int = 1
    # Password verification (settings.Lockout): attempts counted since the last match, the time
    # of the last one, and the end of the lock (epoch seconds).
    verify_failures: int = 0
    verify_attempted_at: int | None = None
    verify_locked_until: int | None = None


# ---------------------------------------------------------------- responses


# A JSON number, as callers read it (3000.0). Costs have at most 2 decimals, which float's shortest
# repr writes back exactly; the stored value stays a DynamoDB Number.
Money = Annotated[Decimal, PlainSerializer(float, return_type=float)]


class ResponseModel(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class ClientCreated(ResponseModel):
    client_id: AnsweredUuid


class ClientUpdated(ResponseModel):
    client_id: AnsweredUuid


class ClientProfile(ResponseModel):
    client_id: AnsweredUuid
    first_name: str
    last_name: str
    email: str
    phone: str
    additional_info: str | None
    birthday: date | None
    sex: Sex | None
    registration_date: str = Field(description="UTC, as YYYY-MM-DD HH:MM:SS", examples=["2024-02-25 03:14:07"])

    @classmethod
    def from_stored(cls, client: StoredClient) -> ClientProfile:
        # The stored client is validated already: construct without validating it twice.
        shared = {name: getattr(client, name) for name in _PROFILE_FIELDS_FROM_STORAGE}
        return cls.model_construct(**shared, registration_date=client.registered_at.strftime("%Y-%m-%d %H:%M:%S"))


_PROFILE_FIELDS_FROM_STORAGE = tuple(ClientProfile.model_fields.keys() & StoredClient.model_fields.keys())


class PasswordCheckResult(ResponseModel):
    match: bool


class Session(ResponseModel):
    session_id: AnsweredUuid
    spot_id: AnsweredUuid
    status: SessionStatus
    cost: Money
    starts_at: AnsweredDateTime | None = None


class FieldError(ResponseModel):
    field: str = Field(description="The field, dotted when nested; `body` for the body as a whole.")
    message: str


class ProblemDetails(ResponseModel):
    """An RFC 9457 problem (`application/problem+json`). `code` is the stable machine key."""

    type: str = Field(examples=["urn:clients-api:problem:validation_error"])
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] | None = Field(default=None, description="Present when fields are at fault.")
    correlation_id: str | None = Field(default=None, description="On 500s: quote it when reporting the error.")


class SessionList(RootModel[list[Session]]):
    """The sessions list body: a bare JSON array; the next page's cursor is a header."""

    model_config = ConfigDict(frozen=True, defer_build=True)


class SessionsPage(ResponseModel):
    """A page of sessions; `next_cursor` travels in the X-Next-Cursor header, not the body."""

    sessions: list[Session]
    next_cursor: str | None
