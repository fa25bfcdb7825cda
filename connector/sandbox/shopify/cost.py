"""Query cost and the leaky bucket, after Shopify's published method for the Admin GraphQL API.

https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits: a scalar or enum costs 0, an object 1, a
mutation field 10; a connection costs 2 plus its page of objects, where Shopify "incorporate[s] logarithmic
scaling into connection fields to cost them more favorably for a client": the page size is not a linear
multiplier. The multiplier below is the bucketed logarithmic scale measured on real shops (public
measurements of `requestedQueryCost` per page size: https://github.com/rmosolgo/graphql-ruby/pull/5460), and
it reproduces the figures measured on real shops: `product(id) { variants(first: 250) { nodes { inventoryItem
{ id } } } }` is requested at 25, `orders(first: 250)` with plain fields at 13. So a nested connection costs
`2 + m(first) x (1 + one node's own cost)`, far below the old `2 + first x node cost`.

Requested cost is computed from the document before execution; actual cost, after execution, applies the
same rule to the nodes a connection really returned and skips objects that came back null. The bucket must
hold the requested cost before a query runs; the difference to the actual cost is refunded afterwards.
`breakdown()` is what the `Shopify-GraphQL-Cost-Debug: 1` header adds to `extensions.cost.fields`: each
field's path, its own cost, its requested total and its children's cost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    value_from_ast_untyped,
)

# Upper bounds of page sizes and their cost multiplier; larger pages: 3 + floor(log2(first)).
_MULTIPLIERS = ((2, 1), (4, 2), (7, 3), (12, 4), (20, 5), (39, 6), (59, 7), (79, 8), (99, 9), (149, 10), (250, 11))
MUTATION_COST = 10
CONNECTION_COST = 2
MAX_QUERY_COST = 1000
DEFAULT_BUCKET_MAX = 2000.0  # standard plans: 100 points a second, a bucket of 20 seconds' worth
DEFAULT_RESTORE_RATE = 100.0


def page_multiplier(size: int) -> int:
    """How many nodes' worth a connection page of `size` is charged (logarithmic, see the module doc)."""
    if size <= 0:
        return 0
    for bound, multiplier in _MULTIPLIERS:
        if size <= bound:
            return multiplier
    return max(11, 3 + size.bit_length() - 1)


class CostCalculator:
    def __init__(
        self, schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: dict, variables: dict
    ):
        self.schema = schema
        self.operation = operation
        self.fragments: dict[str, FragmentDefinitionNode] = fragments
        self.variables = variables or {}
        self._breakdown: list[dict] = []
        self._path: list[str] = []

    def breakdown(self) -> list[dict]:
        """The per-field figures of the last `requested()`, as Shopify's cost debug header gives them."""
        return list(self._breakdown)

    def _root_type(self) -> GraphQLObjectType:
        if self.operation.operation.value == "mutation":
            return self.schema.mutation_type
        return self.schema.query_type

    def _argument(self, field: FieldNode, name: str) -> Any:
        for argument in field.arguments or ():
            if argument.name.value == name:
                return value_from_ast_untyped(argument.value, self.variables)
        return None

    def _fields(self, selection_set: SelectionSetNode | None, parent: Any) -> list[tuple[FieldNode, Any]]:
        """Every field node under a selection set with the type it is selected on (fragments flattened)."""
        found: list[tuple[FieldNode, Any]] = []
        if selection_set is None:
            return found
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found.append((selection, parent))
            elif isinstance(selection, InlineFragmentNode):
                on = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                found.extend(self._fields(selection.selection_set, on))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    on = self.schema.get_type(fragment.type_condition.name.value)
                    found.extend(self._fields(fragment.selection_set, on))
        return found

    @staticmethod
    def _field_def(parent: Any, name: str) -> GraphQLField | None:
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return parent.fields.get(name)
        return None

    # -- requested ------------------------------------------------------------------------------

    def requested(self) -> int:
        root = self._root_type()
        self._breakdown = []
        total = 0
        for field, parent in self._fields(self.operation.selection_set, root):
            if root is self.schema.mutation_type and field.name.value != "__typename":
                total += MUTATION_COST
                self._record([field.name.value], MUTATION_COST, MUTATION_COST, 0)
            else:
                total += self._requested_field(field, parent)
        return total

    def _record(self, path: list[str], defined: int | None, total: int, children: int) -> None:
        self._breakdown.append(
            {
                "path": list(path),
                "definedCost": defined,
                "requestedTotalCost": total,
                "requestedChildrenCost": children,
            }
        )

    def _requested_selection(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        # Fragments on different concrete types are alternatives: charge the dearest one.
        per_type: dict[str, int] = {}
        for field, on in self._fields(selection_set, parent):
            key = getattr(on, "name", "")
            per_type[key] = per_type.get(key, 0) + self._requested_field(field, on)
        return max(per_type.values(), default=0)

    def _requested_field(self, field: FieldNode, parent: Any) -> int:
        key = field.alias.value if field.alias else field.name.value
        self._path.append(key)
        try:
            return self._requested_field_at(field, parent)
        finally:
            self._path.pop()

    def _requested_field_at(self, field: FieldNode, parent: Any) -> int:
        definition = self._field_def(parent, field.name.value)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            return 0
        if named.name.endswith("Connection") and "first" in definition.args:
            size = self._argument(field, "first") or self._argument(field, "last") or 0
            if not isinstance(size, int) or isinstance(size, bool):
                size = 0  # a wrongly typed variable: execution reports the error
            node_type = named.fields["nodes"].type if "nodes" in named.fields else None
            node_named = get_named_type(node_type) if node_type is not None else None
            per_node = 0
            for child, on in self._fields(field.selection_set, named):
                if child.name.value == "nodes":
                    self._path.append("nodes")
                    per_node = max(per_node, 1 + self._requested_selection(child.selection_set, node_named))
                    self._path.pop()
                elif child.name.value == "edges":
                    for edge_child, _edge_on in self._fields(
                        child.selection_set, get_named_type(on.fields["edges"].type)
                    ):
                        if edge_child.name.value == "node":
                            self._path += ["edges", "node"]
                            per_node = max(
                                per_node, 1 + self._requested_selection(edge_child.selection_set, node_named)
                            )
                            del self._path[-2:]
            total = CONNECTION_COST + page_multiplier(int(size)) * per_node
            self._record(self._path, None, total, per_node)
            return total
        children = self._requested_selection(field.selection_set, named)
        self._record(self._path, 1, 1 + children, children)
        return 1 + children

    # -- actual ---------------------------------------------------------------------------------

    def actual(self, data: dict | None) -> int:
        if data is None:
            return 0
        root = self._root_type()
        total = 0
        for field, parent in self._fields(self.operation.selection_set, root):
            key = field.alias.value if field.alias else field.name.value
            if root is self.schema.mutation_type and field.name.value != "__typename":
                total += MUTATION_COST if key in data else 0
            else:
                total += self._actual_field(field, parent, data.get(key))
        return total

    def _actual_selection(self, selection_set: SelectionSetNode | None, parent: Any, value: dict) -> int:
        typename = value.get("__typename") if isinstance(value, dict) else None
        total = 0
        for field, on in self._fields(selection_set, parent):
            on_name = getattr(on, "name", None)
            if on is not parent and typename is not None and on_name != typename:
                continue
            key = field.alias.value if field.alias else field.name.value
            if key in value:
                total += self._actual_field(field, on, value[key])
        return total

    def _actual_field(self, field: FieldNode, parent: Any, value: Any) -> int:
        definition = self._field_def(parent, field.name.value)
        if definition is None or value is None:
            return 0
        named = get_named_type(definition.type)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            return 0
        if named.name.endswith("Connection") and "first" in definition.args and isinstance(value, dict):
            node_named = get_named_type(named.fields["nodes"].type) if "nodes" in named.fields else None
            costs: list[int] = []
            for child, _on in self._fields(field.selection_set, named):
                key = child.alias.value if child.alias else child.name.value
                items = value.get(key)
                if child.name.value == "nodes" and isinstance(items, list):
                    costs = [1 + self._actual_selection(child.selection_set, node_named, n) for n in items if n]
                    break
                if child.name.value == "edges" and isinstance(items, list):
                    for edge in items:
                        for edge_child, _ in self._fields(child.selection_set, None):
                            node_key = edge_child.alias.value if edge_child.alias else edge_child.name.value
                            if (
                                edge_child.name.value == "node"
                                and isinstance(edge, dict)
                                and edge.get(node_key)
                            ):
                                costs.append(
                                    1 + self._actual_selection(edge_child.selection_set, node_named, edge[node_key])
                                )
                    break
            # The same logarithmic rule over the nodes returned, each charged as the dearest one.
            return CONNECTION_COST + page_multiplier(len(costs)) * max(costs, default=0)
        if isinstance(definition.type, GraphQLList) or (
            isinstance(definition.type, GraphQLNonNull) and isinstance(definition.type.of_type, GraphQLList)
        ):
            return 1 + max(
                (
                    self._actual_selection(field.selection_set, named, item)
                    for item in value
                    if isinstance(item, dict)
                ),
                default=0,
            )
        return 1 + (
            self._actual_selection(field.selection_set, named, value) if isinstance(value, dict) else 0
        )


class LeakyBucket:
    """Shopify's throttle: `maximum` points, refilled at `restore_rate` points a second."""

    def __init__(
        self,
        maximum: float = DEFAULT_BUCKET_MAX,
        restore_rate: float = DEFAULT_RESTORE_RATE,
        *,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.configure(maximum, restore_rate, enabled=enabled)

    def configure(self, maximum: float, restore_rate: float, *, enabled: bool = True) -> None:
        if maximum <= 0 or restore_rate <= 0:
            raise ValueError("bucket maximum and restore rate must be positive")
        with self._lock:
            self.maximum = float(maximum)
            self.restore_rate = float(restore_rate)
            self.enabled = enabled
            self._available = self.maximum
            self._stamp = self._clock()

    def _refill(self) -> None:
        now = self._clock()
        self._available = min(self.maximum, self._available + (now - self._stamp) * self.restore_rate)
        self._stamp = now

    def take(self, cost: int) -> bool:
        """Reserve `cost` points; False (nothing taken) when the bucket does not hold them."""
        with self._lock:
            self._refill()
            if not self.enabled:
                return True
            if cost > self._available:
                return False
            self._available -= cost
            return True

    def refund(self, points: float) -> None:
        with self._lock:
            self._refill()
            if self.enabled and points > 0:
                self._available = min(self.maximum, self._available + points)

    def status(self) -> dict[str, float]:
        with self._lock:
            self._refill()
            available = self._available if self.enabled else self.maximum
            return {
                "maximumAvailable": self.maximum,
                "currentlyAvailable": float(int(available)),
                "restoreRate": self.restore_rate,
            }
