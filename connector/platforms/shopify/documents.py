"""Every GraphQL document the connector sends to Shopify, one module-level constant each.

tests/test_shopify_schema.py validates each string constant here against the pinned Admin schema, so a
document that the real API would refuse fails the test suite, not a merchant's sync.
"""

SHOP = """
query Shop {
  shop { id name currencyCode ianaTimezone myshopifyDomain }
  locations(first: 50) { nodes { id name isActive } }
}
"""

BULK_OPERATION_RUN_QUERY = """
mutation BulkOperationRunQuery($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

BULK_OPERATION_POLL = """
query BulkOperationPoll($id: ID!) {
  node(id: $id) {
    ... on BulkOperation {
      id status errorCode objectCount rootObjectCount fileSize url partialDataUrl createdAt completedAt
    }
  }
}
"""

VARIANTS_PAGE = """
query VariantsPage($first: Int!, $after: String, $query: String) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes {
      id sku price compareAtPrice updatedAt
      product { id }
      inventoryItem { id tracked }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PRODUCTS_PAGE = """
query ProductsPage($first: Int!, $after: String, $query: String) {
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes {
      id title handle status updatedAt
      variants(first: 20) { nodes { id sku price compareAtPrice } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

INVENTORY_LEVELS = """
query InventoryLevels($first: Int!, $after: String, $query: String, $locationId: ID!) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes {
      sku
      inventoryItem {
        id tracked
        inventoryLevel(locationId: $locationId) { quantities(names: ["available", "on_hand"]) { name quantity } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

INVENTORY_SET_QUANTITIES = """
mutation InventorySetQuantities($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup { id changes { name delta quantityAfterChange item { id } } }
    userErrors { field message code }
  }
}
"""

PRODUCT_VARIANTS_BULK_UPDATE = """
mutation ProductVariantsBulkUpdate($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id price compareAtPrice updatedAt }
    userErrors { field message code }
  }
}
"""

PRICE_LISTS = """
query PriceLists($first: Int!, $after: String) {
  priceLists(first: $first, after: $after) {
    nodes {
      id name currency
      catalog { ... on MarketCatalog { markets(first: 10) { nodes { id name } } } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PRICE_LIST_FIXED_PRICES_ADD = """
mutation PriceListFixedPricesAdd($priceListId: ID!, $prices: [PriceListPriceInput!]!) {
  priceListFixedPricesAdd(priceListId: $priceListId, prices: $prices) {
    prices { variant { id } price { amount currencyCode } compareAtPrice { amount currencyCode } }
    userErrors { field message code }
  }
}
"""

TRANSLATABLE_RESOURCE = """
query TranslatableResource($resourceId: ID!, $locale: String!, $marketId: ID) {
  translatableResource(resourceId: $resourceId) {
    resourceId
    translatableContent { key value digest locale }
    translations(locale: $locale, marketId: $marketId) { key value outdated }
  }
}
"""

TRANSLATIONS_REGISTER = """
mutation TranslationsRegister($resourceId: ID!, $translations: [TranslationInput!]!) {
  translationsRegister(resourceId: $resourceId, translations: $translations) {
    translations { key locale value }
    userErrors { field message code }
  }
}
"""
