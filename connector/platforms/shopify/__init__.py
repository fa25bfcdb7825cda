"""Shopify through the Admin GraphQL API: the pinned schema, the documents the connector sends, the transport."""
