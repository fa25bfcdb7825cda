"""Bulk query operations: run a query over whole connections and serve the result as Shopify's JSONL.

The JSONL holds one object per line; the nodes of a nested connection get their own lines with `__parentId`
set to the id of the object that holds the connection. From API version 2026-01 `groupObjects` defaults to
false and the lines come in no particular order: a child may come before its parent, far from it
(https://shopify.dev/changelog/bulk-operations-group-objects-default-changed-to-false). The simulator writes
ungrouped output in a random interleaving seeded by the operation's id (the same operation, the same file),
and grouped output (each parent followed by its children) only when asked with `groupObjects: true`.

Up to five bulk query operations may run per shop at once from 2026-01; a sixth is refused with
`LIMIT_REACHED` (https://shopify.dev/docs/api/usage/bulk-operations/queries,
https://shopify.dev/docs/api/admin-graphql/2026-01/payloads/BulkOperationRunQueryPayload). `bulkOperations`
lists an app's operations, newest first, filtered by `status`, `operation_type`, `id` and `created_at`
(https://shopify.dev/docs/api/admin-graphql/2026-07/queries/bulkOperations); `currentBulkOperation` is
deprecated for it but still answers the latest one.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graphql import (
    FieldNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)

from connector.platforms.shopify.schema import load_schema

from .engine import PreparedDocument, pick_operation, run
from .shop import gid, iso
from .views import RequestContext

IN_PROGRESS = ("CREATED", "RUNNING")
MAX_RUNNING_QUERIES = 5


@dataclass(eq=False)
class BulkOperation:
    id: int
    query: str
    status: str
    created_at: datetime
    completed_at: datetime | None = None
    object_count: int = 0
    root_object_count: int = 0
    error_code: str | None = None
    result: bytes | None = None
    grouped: bool = False


class BulkOperationView:
    __typename = "BulkOperation"

    def __init__(self, operation: BulkOperation, base_url: str) -> None:
        self._operation = operation
        self._base_url = base_url

    id = property(lambda self: gid("BulkOperation", self._operation.id))
    status = property(lambda self: self._operation.status)
    type = property(lambda self: "QUERY")
    query = property(lambda self: self._operation.query)
    errorCode = property(lambda self: self._operation.error_code)
    createdAt = property(lambda self: iso(self._operation.created_at))
    completedAt = property(lambda self: iso(self._operation.completed_at))
    objectCount = property(lambda self: str(self._operation.object_count))
    rootObjectCount = property(lambda self: str(self._operation.root_object_count))
    fileSize = property(
        lambda self: None if self._operation.result is None else str(len(self._operation.result))
    )
    url = property(
        lambda self: None
        if self._operation.status != "COMPLETED" or not self._operation.object_count
        else f"{self._base_url}/bulk/{self._operation.id}.jsonl"
    )
    partialDataUrl = property(lambda self: None)


class BulkRunner:
    """The bulk operations of one simulated shop; at most one query operation runs at a time."""

    def __init__(self, sim: Any, *, delay: float = 0.2) -> None:
        self._sim = sim
        self.delay = delay
        self._operations: dict[int, BulkOperation] = {}
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    def reset(self) -> None:
        self._operations.clear()

    def wait(self, timeout: float = 30.0) -> None:
        """Block until every started operation has finished (for tests and the demo)."""
        for thread in list(self._threads):
            thread.join(timeout=timeout)

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()
        self._stopping.clear()

    def view(self, number: int) -> BulkOperationView | None:
        operation = self._operations.get(number)
        return BulkOperationView(operation, self._sim.base_url) if operation is not None else None

    def current_view(self, kind: str = "QUERY") -> BulkOperationView | None:
        if kind != "QUERY" or not self._operations:
            return None
        latest = self._operations[max(self._operations)]
        return BulkOperationView(latest, self._sim.base_url)

    def result(self, number: int) -> bytes | None:
        operation = self._operations.get(number)
        return operation.result if operation is not None and operation.status == "COMPLETED" else None

    def listed(self, query: str | None) -> list[BulkOperationView]:
        """The operations `bulkOperations(query:)` selects, newest first (its default CREATED_AT order)."""
        chosen = [op for op in self._operations.values() if _matches(op, query)]
        chosen.sort(key=lambda op: (op.created_at, op.id), reverse=True)
        return [BulkOperationView(op, self._sim.base_url) for op in chosen]

    def start(self, query: str, group_objects: bool = False) -> dict:
        """bulkOperationRunQuery: validate, create, and run in the background."""
        running = [op for op in self._operations.values() if op.status in IN_PROGRESS]
        if len(running) >= MAX_RUNNING_QUERIES:
            return _user_error(
                f"A maximum of {MAX_RUNNING_QUERIES} bulk query operations can run at the same time for this "
                "app and shop.",
                "LIMIT_REACHED",
            )
        prepared = self._sim.documents.get(query)
        if prepared.errors:
            return _user_error(
                "Invalid bulk query: " + "; ".join(e["message"] for e in prepared.errors), "INVALID"
            )
        operation_node = pick_operation(prepared.document, None)
        if operation_node is None or operation_node.operation.value != "query":
            return _user_error("Invalid bulk query: a bulk operation runs exactly one query.", "INVALID")
        if not _has_connection(operation_node):
            return _user_error("Bulk queries must contain at least one connection.", "INVALID")
        shop = self._sim.shop
        operation = BulkOperation(shop.next_id(), query, "CREATED", shop.now(), grouped=group_objects)
        self._operations[operation.id] = operation
        thread = threading.Thread(
            target=self._run, args=(operation, prepared, operation_node), name="bulk-operation", daemon=True
        )
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()
        return {"bulkOperation": BulkOperationView(operation, self._sim.base_url), "userErrors": []}

    def _run(
        self, operation: BulkOperation, prepared: PreparedDocument, node: OperationDefinitionNode
    ) -> None:
        operation.status = "RUNNING"
        started = time.monotonic()
        while time.monotonic() - started < self.delay:  # `delay` is read as it runs: a test may shorten it
            if self._stopping.wait(min(0.05, self.delay)):
                operation.status = "CANCELED"
                return
        with self._sim.lock:
            context = RequestContext(self._sim.shop, self._sim, unlimited=True)
            result = run(prepared, context, None, None)
            if result.errors:
                denied = all((e.extensions or {}).get("code") == "ACCESS_DENIED" for e in result.errors)
                operation.status = "FAILED"
                operation.error_code = "ACCESS_DENIED" if denied else "INTERNAL_SERVER_ERROR"
                operation.completed_at = self._sim.shop.now()
                return
            lines: list[bytes] = []
            roots = flatten(node, result.data or {}, lines)
            if not operation.grouped:
                random.Random(operation.id).shuffle(lines)
            operation.result = b"".join(lines)
            operation.object_count = len(lines)
            operation.root_object_count = roots
            operation.completed_at = self._sim.shop.now()
            operation.status = "COMPLETED"


def _matches(operation: BulkOperation, query: str | None) -> bool:
    """Shopify search syntax over `status`, `operation_type`, `id` (with > >= < <=) and `created_at`."""
    for term in (query or "").replace(" AND ", " ").split():
        key, _, value = term.partition(":")
        value = value.strip("'\"").lower()
        if key == "status" and operation.status.lower() != value:
            return False
        if key == "operation_type" and value != "query":
            return False
        if key == "id":
            number = value.lstrip("<>=")
            operator = value[: len(value) - len(number)]
            try:
                wanted = int(number.rsplit("/", 1)[-1])
            except ValueError:
                return False
            if not {
                "": operation.id == wanted,
                ">": operation.id > wanted,
                ">=": operation.id >= wanted,
                "<": operation.id < wanted,
                "<=": operation.id <= wanted,
            }.get(operator, False):
                return False
        if key == "created_at" and iso(operation.created_at) < value.lstrip("<>=").upper():
            return False
    return True


def _user_error(message: str, code: str) -> dict:
    return {"bulkOperation": None, "userErrors": [{"field": ["query"], "message": message, "code": code}]}


def _is_connection(parent: Any, field: FieldNode) -> bool:
    if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return False
    definition = parent.fields.get(field.name.value)
    if definition is None:
        return False
    named = get_named_type(definition.type)
    return named.name.endswith("Connection") and "first" in definition.args


def _has_connection(operation: OperationDefinitionNode) -> bool:
    root = load_schema().query_type
    return any(
        isinstance(selection, FieldNode) and _is_connection(root, selection)
        for selection in operation.selection_set.selections
    )


def flatten(operation: OperationDefinitionNode, data: dict, lines: list[bytes]) -> int:
    """Append JSONL lines for every connection node in `data`; returns the number of root objects."""
    root = load_schema().query_type
    roots = 0
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode) or not _is_connection(root, selection):
            continue
        key = selection.alias.value if selection.alias else selection.name.value
        roots += _emit_connection(root, selection, data.get(key), None, lines)
    return roots


def _connection_nodes(field: FieldNode, value: dict | None) -> tuple[list[dict], SelectionSetNode | None]:
    if not isinstance(value, dict):
        return [], None
    for child in field.selection_set.selections if field.selection_set else ():
        if not isinstance(child, FieldNode):
            continue
        key = child.alias.value if child.alias else child.name.value
        if child.name.value == "nodes":
            return [n for n in value.get(key) or [] if n is not None], child.selection_set
        if child.name.value == "edges":
            for edge_child in child.selection_set.selections:
                if isinstance(edge_child, FieldNode) and edge_child.name.value == "node":
                    node_key = edge_child.alias.value if edge_child.alias else "node"
                    nodes = [
                        edge.get(node_key) for edge in value.get(key) or [] if edge and edge.get(node_key)
                    ]
                    return nodes, edge_child.selection_set
    return [], None


def _emit_connection(
    parent: Any, field: FieldNode, value: Any, parent_id: str | None, lines: list[bytes]
) -> int:
    connection_type = get_named_type(parent.fields[field.name.value].type)
    node_type = get_named_type(connection_type.fields["nodes"].type)
    nodes, selection_set = _connection_nodes(field, value)
    for node in nodes:
        children: list[tuple[Any, FieldNode, Any]] = []
        line = _strip_connections(node_type, selection_set, node, children)
        if parent_id is not None:
            line["__parentId"] = parent_id
        lines.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
        for child_parent, child_field, child_value in children:
            _emit_connection(child_parent, child_field, child_value, node.get("id") or parent_id, lines)
    return len(nodes)


def _strip_connections(
    object_type: Any, selection_set: SelectionSetNode | None, value: dict, children: list
) -> dict:
    """A copy of `value` without its connection fields, which are collected into `children`."""
    if selection_set is None or not isinstance(value, dict):
        return value
    schema = load_schema()
    kept = dict(value)
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            on = object_type
            fields = [selection]
        else:  # inline fragment or spread: look at its fields on its type
            condition = getattr(selection, "type_condition", None)
            on = schema.get_type(condition.name.value) if condition else object_type
            fields = (
                [s for s in getattr(selection, "selection_set", None).selections if isinstance(s, FieldNode)]
                if getattr(selection, "selection_set", None)
                else []
            )
        for field in fields:
            key = field.alias.value if field.alias else field.name.value
            if key not in kept or not isinstance(on, GraphQLObjectType | GraphQLInterfaceType):
                continue
            if _is_connection(on, field):
                children.append((on, field, kept.pop(key)))
            elif isinstance(kept[key], dict) and field.name.value in on.fields:
                nested_type = get_named_type(on.fields[field.name.value].type)
                kept[key] = _strip_connections(nested_type, field.selection_set, kept[key], children)
    return kept
