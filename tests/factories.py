"""Factories for test data (factory_boy), flushed into the test's session, plus token helpers."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import factory
import pytest

from market.accounts import services as accounts
from market.accounts.models import User
from market.bids.models import Bid
from market.contracts.models import Contract
from market.contracts.services import plan_milestones
from market.db import utcnow
from market.orders.models import Order, Question
from market.organizations.credit_code import make_credit_code
from market.organizations.models import Capability, ChangeRequest, Organization, VendorProfile
from market.settings import Settings

PASSWORD = "correct horse battery"
_password_hash = None
_codes = itertools.count(1)


def password_hash() -> str:
    # scrypt is slow on purpose; hash the shared test password once per run.
    global _password_hash
    if _password_hash is None:
        _password_hash = accounts.hash_password(PASSWORD)
    return _password_hash


def credit_code() -> str:
    return make_credit_code(f"91520100{next(_codes):09d}")


class Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "flush"


class OrganizationFactory(Base):
    class Meta:
        model = Organization

    kind = "agency"
    name = factory.Sequence(lambda n: f"贵州省测试机构{n}")
    credit_code = factory.LazyFunction(credit_code)
    province = "贵州省"
    city = "贵阳市"
    county = "观山湖区"
    sectors = factory.LazyAttribute(lambda o: ["transport"] if o.kind == "agency" else [])


class VendorFactory(OrganizationFactory):
    """A vendor firm, verified unless a trait says `pending=True` or `suspended=True`."""

    kind = "vendor"
    name = factory.Sequence(lambda n: f"贵安数据标注科技有限公司{n}")
    vendor_profile = factory.LazyAttribute(
        lambda o: VendorProfile(
            seats=o.seats,
            headcount=o.seats + 5,
            certifications=list(o.certifications),
            clearance=o.clearance,
            onsite_possible=o.onsite_possible,
            sme=True,
            verification_status=o.verification_status,
            verified_at=utcnow() if o.verification_status == "verified" else None,
            suspended_at=utcnow() if o.verification_status == "suspended" else None,
        )
    )

    class Params:
        seats = 100
        certifications = ("ISO 27001",)
        clearance = "important"
        onsite_possible = True
        verification_status = "verified"
        pending = factory.Trait(verification_status="pending")  # registered, not yet checked
        verified = factory.Trait(verification_status="verified")
        suspended = factory.Trait(verification_status="suspended")


class OperatorFactory(OrganizationFactory):
    kind = "operator"
    name = factory.Sequence(lambda n: f"贵州省大数据发展管理局{n}")
    sectors = factory.LazyFunction(list)


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.cn")
    name = factory.Sequence(lambda n: f"用户{n}")
    password_hash = factory.LazyFunction(password_hash)
    role = "agency"
    organization = factory.SubFactory(OrganizationFactory)


class CapabilityFactory(Base):
    class Meta:
        model = Capability

    modality = "image"
    annotation_type = "bbox"
    throughput_per_seat_day = 800.0
    unit_price = Decimal("0.30")
    assessed_proficiency = 0.8


class ChangeRequestFactory(Base):
    """A vendor's pending raise of its clearance to `core`; pass `vendor` (a VendorProfile)."""

    class Meta:
        model = ChangeRequest

    requested = factory.LazyFunction(lambda: {"clearance": "core"})
    previous = factory.LazyAttribute(lambda o: {"clearance": o.vendor.clearance})
def able_to(vendor_org, modality: str = "image", annotation_type: str = "bbox", **kwargs):
    """Give a vendor firm a capability, so the engine's hard rules let it bid for such orders."""
    return CapabilityFactory(vendor=vendor_org.vendor_profile, modality=modality,
                             annotation_type=annotation_type, **kwargs)


def _ago(**delta):
    return factory.LazyFunction(lambda: utcnow() - dt.timedelta(**delta))


class OrderFactory(Base):
    """An order, published and open for bids unless a trait names another state.

    `draft`: never published. `published`: open for bids for another week. `closed`: still
    'published', but the closing time has passed and the closing job has not run, so bidding is
    closed by the clock and `effective_status` is 'evaluating'. `evaluating`: closed and moved on
    by the job. `cancelled`: withdrawn after publication (add `published_at=None` for a draft that
    was cancelled).
    """

    class Meta:
        model = Order

    class Params:
        draft = factory.Trait(status="draft", published_at=None)
        published = factory.Trait(status="published", published_at=_ago(days=1))
        closed = factory.Trait(
            status="published", published_at=_ago(days=10), bidding_closes_at=_ago(hours=1)
        )
        evaluating = factory.Trait(
            status="evaluating",
            published_at=_ago(days=10),
            bidding_closes_at=_ago(days=1),
            evaluating_at=_ago(hours=20),
        )
        cancelled = factory.Trait(
            status="cancelled", published_at=_ago(days=1), cancelled_at=factory.LazyFunction(utcnow)
        )
        awarded = factory.Trait(
            status="awarded",
            published_at=_ago(days=20),
            bidding_closes_at=_ago(days=12),
            evaluating_at=_ago(days=12),
            awarded_at=_ago(days=10),
        )

    agency = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"交通卡口视频车辆标注项目{n}")
    description = "对全省高速公路卡口抓拍图像中的车辆进行 2D 框标注。"
    sector = "transport"
    modality = "image"
    annotation_type = "bbox"
    label_set = factory.LazyFunction(lambda: ["car", "truck", "bus"])
    volume = 100000
    unit = "box"
    budget_ceiling = Decimal("50000.00")
    bidding_closes_at = factory.LazyFunction(lambda: utcnow() + dt.timedelta(days=7))
    delivery_deadline = factory.LazyFunction(lambda: utcnow() + dt.timedelta(days=60))
    accuracy_target = 0.95
    sampling_level = "II"
    data_classification = "general"
    status = "published"
    published_at = factory.LazyFunction(utcnow)


class BidFactory(Base):
    class Meta:
        model = Bid

    order = factory.SubFactory(OrderFactory)
    vendor = factory.SubFactory(VendorFactory)
    unit_price = Decimal("0.40")
    volume = factory.LazyAttribute(lambda o: o.order.volume)
    seats_committed = 20
    proposed_finish_date = factory.LazyAttribute(
        lambda o: (o.order.delivery_deadline - dt.timedelta(days=5)).date()
    )
    technical_note = "双人复核，质检抽样 10%。"


class QuestionFactory(Base):
    """A vendor's clarification question; `QuestionFactory(answered=True)` for an answered one."""

    class Meta:
        model = Question
        exclude = ("asker",)

    class Params:
        answered = factory.Trait(
            answer="需要，遮挡超过一半的目标也要标注。",
            answered_at=factory.LazyFunction(utcnow),
        )

    order = factory.SubFactory(OrderFactory)
    asker = factory.SubFactory(
        UserFactory, role="vendor", organization=factory.SubFactory(VendorFactory)
    )
    asked_by_id = factory.LazyAttribute(lambda o: o.asker.id)
    vendor_id = factory.LazyAttribute(lambda o: o.asker.organization_id)
    text = "被遮挡超过一半的车辆是否需要标注？"


class ContractFactory(Base):
    """A running contract; pass status="completed", completed_at and the outcome for a done one."""

    class Meta:
        model = Contract

    order = factory.SubFactory(OrderFactory, status="in_progress")
    vendor = factory.SubFactory(VendorFactory)
    volume = factory.LazyAttribute(lambda o: o.order.volume)
    unit_price = Decimal("0.40")
    value = factory.LazyAttribute(lambda o: (o.unit_price * o.volume).quantize(Decimal("0.01")))
    seats = 20
    starts_at = factory.LazyFunction(lambda: utcnow() - dt.timedelta(days=10))
    deadline = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(days=30))
    status = "active"

    @factory.post_generation
    def milestones(contract, create, extracted, **kwargs):
        """The programme's milestone plan, as every contract it makes has."""
        if extracted is not None:
            contract.milestones = extracted
        elif not contract.milestones:
            contract.milestones = plan_milestones(contract, Settings())


ALL_FACTORIES = [
    OrganizationFactory,
    VendorFactory,
    OperatorFactory,
    UserFactory,
    CapabilityFactory,
    ChangeRequestFactory,
    OrderFactory,
    BidFactory,
    QuestionFactory,
    ContractFactory,
]


@pytest.fixture
def factories(db_session):
    for f in ALL_FACTORIES:
        f._meta.sqlalchemy_session = db_session
    yield
    for f in ALL_FACTORIES:
        f._meta.sqlalchemy_session = None


class Actors:
    """Users of every role with live tokens, made on demand: `actors.agency`, `actors.token(u)`."""

    def __init__(self, session):
        self.session = session
        self._tokens: dict[int, str] = {}

    def user(self, role: str, organization=None, **kwargs) -> User:
        if organization is None:
            organization = {
                "agency": OrganizationFactory, "vendor": VendorFactory,
                "coordinator": OperatorFactory, "admin": OperatorFactory,
            }[role]()
        return UserFactory(role=role, organization=organization, **kwargs)

    def token(self, user: User) -> str:
        if user.id not in self._tokens:
            token, _row = accounts.issue_token(self.session, user, ttl_hours=1)
            self.session.flush()
            self._tokens[user.id] = token
        return self._tokens[user.id]

    def __getattr__(self, role: str):
        if role in ("agency", "vendor", "coordinator", "admin"):
            cached = f"_{role}"
            if cached not in self.__dict__:
                self.__dict__[cached] = self.user(role)
            return self.__dict__[cached]
        raise AttributeError(role)


@pytest.fixture
def actors(db_session, factories) -> Actors:
    return Actors(db_session)
