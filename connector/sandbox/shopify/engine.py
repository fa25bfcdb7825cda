"""Parse, validate and execute an Admin API document against the real schema and the in-memory shop."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    execute,
    parse,
    validate,
)

from connector.platforms.shopify.schema import load_schema

from .cost import CostCalculator
from .root import MutationRoot, QueryRoot
from .views import RequestContext

# Mutations that change no store data (they are not counted as writes).
READ_ONLY_MUTATIONS = frozenset({"bulkOperationRunQuery"})


@dataclass
class PreparedDocument:
    document: DocumentNode | None
    errors: list[dict]
    fragments: dict[str, FragmentDefinitionNode]


class DocumentCache:
    """Parsed and validated documents by text: a sync sends the same few documents thousands of times."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[str, PreparedDocument] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> PreparedDocument:
        with self._lock:
            hit = self._items.get(text)
            if hit is not None:
                self._items.move_to_end(text)
                return hit
        prepared = prepare(text)
        with self._lock:
            self._items[text] = prepared
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return prepared


def prepare(text: str) -> PreparedDocument:
    try:
        document = parse(text)
    except GraphQLError as exc:
        return PreparedDocument(None, [exc.formatted], {})
    errors = validate(load_schema(), document)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return PreparedDocument(document, [error.formatted for error in errors], fragments)


def pick_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        return next((op for op in operations if op.name and op.name.value == operation_name), None)
    return operations[0] if len(operations) == 1 else None


def cost_calculator(
    prepared: PreparedDocument, operation: OperationDefinitionNode, variables: dict
) -> CostCalculator:
    return CostCalculator(load_schema(), operation, prepared.fragments, variables)


def run(
    prepared: PreparedDocument,
    context: RequestContext,
    variables: dict | None,
    operation_name: str | None,
) -> ExecutionResult:
    operation = pick_operation(prepared.document, operation_name)
    root = (
        MutationRoot() if operation is not None and operation.operation.value == "mutation" else QueryRoot()
    )
    return execute(
        load_schema(),
        prepared.document,
        root_value=root,
        context_value=context,
        variable_values=variables,
        operation_name=operation_name,
    )


def changes_data(operation: OperationDefinitionNode) -> bool:
    if operation.operation.value != "mutation":
        return False
    names = {
        selection.name.value for selection in operation.selection_set.selections if hasattr(selection, "name")
    }
    return bool(names - READ_ONLY_MUTATIONS)
