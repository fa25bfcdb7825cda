"""What each store's order statuses mean to the reports, as its platform's adapter states them
(`StoreAdapter.order_statuses`): which orders count as sales, and which may still ship. The reports name no
platform; an order of a store the config no longer holds is read with every platform's statuses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from connector.config import ClientConfig
from connector.platforms import registry
from connector.platforms.base import OrderStatuses
from connector.reports.model import OrderFact


def every_platform() -> OrderStatuses:
    """The statuses of every registered platform together."""
    combined = OrderStatuses()
    for platform in registry.platforms():
        combined = combined | platform.adapter().order_statuses
    return combined


@dataclass(frozen=True)
class StatusRules:
    by_store: Mapping[str, OrderStatuses] = field(default_factory=dict)
    fallback: OrderStatuses = field(default_factory=every_platform)

    @classmethod
    def of_config(cls, config: ClientConfig) -> StatusRules:
        return cls(
            {name: registry.adapter_class(store).order_statuses for name, store in config.stores.items()}
        )

    def of(self, order: OrderFact) -> OrderStatuses:
        return self.by_store.get(order.store, self.fallback)

    def is_sale(self, order: OrderFact) -> bool:
        return order.status.lower() in self.of(order).sales

    def may_ship(self, order: OrderFact) -> bool:
        return self.of(order).may_ship(order.status)
