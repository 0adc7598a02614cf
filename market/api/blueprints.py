"""The API blueprints, one module per resource, in the order the OpenAPI document shows them."""

from __future__ import annotations


def all_blueprints():
    from market.accounts import views as accounts
    from market.allocations import views as allocations
    from market.audit import views as audit
    from market.bids import views as bids
    from market.contracts import sampling_views as sampling
    from market.contracts import views as contracts
    from market.jobs import views as jobs
    from market.notifications import views as notifications
    from market.orders import directory
    from market.orders import views as orders
    from market.organizations import views as organizations

    for module in (
        accounts,
        organizations,
        orders,
        directory,
        bids,
        audit,
        notifications,
        allocations,
        contracts,
        sampling,
        jobs,
    ):
        yield from module.BLUEPRINTS
