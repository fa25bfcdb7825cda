"""Every GraphQL document the connector sends to Shopify, one module-level constant each.

tests/test_shopify_schema.py validates each string constant here against the pinned Admin schema, so a
document that the real API would refuse fails the test suite, not a merchant's sync.
"""

# ruff: noqa: UP031 - documents are %-formatted on purpose: str.format would need every GraphQL brace doubled

SHOP = """
query Shop {
  shop { id name currencyCode ianaTimezone myshopifyDomain }
  locations(first: 50) { nodes { id name isActive } }
}
"""

# groupObjects is left at its default (false from 2026-01): lines are joined by `__parentId` whatever their order.
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

TRANSLATABLE_RESOURCES_BY_IDS = """
query TranslatableResourcesByIds($resourceIds: [ID!]!, $first: Int!, $locale: String!, $marketId: ID) {
  translatableResourcesByIds(resourceIds: $resourceIds, first: $first) {
    nodes {
      resourceId
      translatableContent { key value digest locale }
      translations(locale: $locale, marketId: $marketId) { key value outdated }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

TRANSLATION_MARKETS = """
query TranslationMarkets($first: Int!, $after: String) {
  markets(first: $first, after: $after) {
    nodes { id name handle }
    pageInfo { hasNextPage endCursor }
  }
}
"""

# -- the store adapter (connector/platforms/shopify/adapter.py) ------------------------------------------

SHOP_PROBE = """
query ShopProbe {
  shop { name currencyCode }
}
"""

PRIMARY_LOCATION = """
query PrimaryLocation {
  location { id name }
}
"""

PRODUCTS_COUNT = """
query ProductsCount($query: String) {
  productsCount(query: $query) { count precision }
}
"""

ORDERS_COUNT = """
query OrdersCount($query: String) {
  ordersCount(query: $query) { count precision }
}
"""

CUSTOMERS_COUNT = """
query CustomersCount($query: String) {
  customersCount(query: $query) { count precision }
}
"""

# Field selections shared by the paged and the bulk reads, so that both read the same record. Documents are
# put together with %-formatting (GraphQL's braces stay literal); the text sent is plain GraphQL.
_VARIANT_FIELDS = """
id sku price compareAtPrice updatedAt position
selectedOptions { name value }
inventoryItem {
  id tracked
  unitCost { amount }
  measurement { weight { unit value } }
  %(levels)s
}
"""
_LEVEL_AT_LOCATION = (
    'inventoryLevel(locationId: $locationId) { quantities(names: ["available"]) { name quantity } }'
)
_EVERY_LEVEL = 'inventoryLevels { edges { node { location { id } quantities(names: ["available"]) { name quantity } } } }'
_PRODUCT_FIELDS = "id title handle status updatedAt descriptionHtml"
# Protected customer data (names, emails, addresses): an app not approved for it is denied these fields
# (https://shopify.dev/docs/apps/launch/protected-customer-data); the *_WITHOUT_PERSONAL documents read the rest.
_ORDER_PERSONAL = """
email
billingAddress { countryCodeV2 }
shippingAddress { address1 address2 zip city countryCodeV2 }
"""
_ORDER_FIELDS = """
id name number createdAt updatedAt cancelledAt currencyCode
displayFinancialStatus displayFulfillmentStatus
subtotalPriceSet { shopMoney { amount } }
totalPriceSet { shopMoney { amount } }
totalTaxSet { shopMoney { amount } }
totalShippingPriceSet { shopMoney { amount } }
totalDiscountsSet { shopMoney { amount } }
totalRefundedSet { shopMoney { amount } }
customer { id }
risk { assessments { riskLevel } }
%(personal)s
"""
_LINE_FIELDS = """
id sku name quantity
discountedUnitPriceSet { shopMoney { amount } }
discountedTotalSet { shopMoney { amount } }
variant { id }
product { id }
"""
_PAGED_VARIANT = _VARIANT_FIELDS % {"levels": _LEVEL_AT_LOCATION}

PRODUCTS_SYNC_PAGE = """
query ProductsSyncPage($first: Int!, $after: String, $query: String, $variantsFirst: Int!, $locationId: ID!) {
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes {
      %(product)s
      variants(first: $variantsFirst) { nodes { %(variant)s } pageInfo { hasNextPage endCursor } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
""" % {"product": _PRODUCT_FIELDS, "variant": _PAGED_VARIANT}

PRODUCT_VARIANTS_SYNC_PAGE = """
query ProductVariantsSyncPage($id: ID!, $first: Int!, $after: String, $locationId: ID!) {
  product(id: $id) {
    variants(first: $first, after: $after) { nodes { %(variant)s } pageInfo { hasNextPage endCursor } }
  }
}
""" % {"variant": _PAGED_VARIANT}

PRODUCTS_BULK = """
{
  products {
    edges { node { %(product)s variants { edges { node { %(variant)s } } } } }
  }
}
""" % {"product": _PRODUCT_FIELDS, "variant": _VARIANT_FIELDS % {"levels": _EVERY_LEVEL}}


_ORDERS_SYNC_PAGE = """
query OrdersSyncPage($first: Int!, $after: String, $query: String, $linesFirst: Int!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes {
      %(order)s
      lineItems(first: $linesFirst) { nodes { %(line)s } pageInfo { hasNextPage endCursor } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
ORDERS_SYNC_PAGE = _ORDERS_SYNC_PAGE % {
    "order": _ORDER_FIELDS % {"personal": _ORDER_PERSONAL},
    "line": _LINE_FIELDS,
}
ORDERS_SYNC_PAGE_WITHOUT_PERSONAL = _ORDERS_SYNC_PAGE % {
    "order": _ORDER_FIELDS % {"personal": ""},
    "line": _LINE_FIELDS,
}

ORDER_LINES_PAGE = """
query OrderLinesPage($id: ID!, $first: Int!, $after: String) {
  order(id: $id) {
    lineItems(first: $first, after: $after) { nodes { %(line)s } pageInfo { hasNextPage endCursor } }
  }
}
""" % {"line": _LINE_FIELDS}

_ORDERS_BULK = """
{
  orders {
    edges { node { %(order)s lineItems { edges { node { %(line)s } } } } }
  }
}
"""
ORDERS_BULK = _ORDERS_BULK % {"order": _ORDER_FIELDS % {"personal": _ORDER_PERSONAL}, "line": _LINE_FIELDS}
ORDERS_BULK_WITHOUT_PERSONAL = _ORDERS_BULK % {"order": _ORDER_FIELDS % {"personal": ""}, "line": _LINE_FIELDS}

_CUSTOMER_PERSONAL = "defaultEmailAddress { emailAddress }\ndefaultAddress { countryCodeV2 }"
_CUSTOMER_FIELDS = """
id createdAt updatedAt numberOfOrders
amountSpent { amount currencyCode }
%(personal)s
"""
_CUSTOMERS_SYNC_PAGE = """
query CustomersSyncPage($first: Int!, $after: String, $query: String) {
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { %(customer)s }
    pageInfo { hasNextPage endCursor }
  }
}
"""
CUSTOMERS_SYNC_PAGE = _CUSTOMERS_SYNC_PAGE % {"customer": _CUSTOMER_FIELDS % {"personal": _CUSTOMER_PERSONAL}}
CUSTOMERS_SYNC_PAGE_WITHOUT_PERSONAL = _CUSTOMERS_SYNC_PAGE % {"customer": _CUSTOMER_FIELDS % {"personal": ""}}

# abandonedCheckouts has no UPDATED_AT sort key: pages go by id inside the `updated_at` window.
ABANDONED_CHECKOUTS_SYNC_PAGE = """
query AbandonedCheckoutsSyncPage($first: Int!, $after: String, $query: String) {
  abandonedCheckouts(first: $first, after: $after, query: $query, sortKey: ID) {
    nodes {
      id createdAt updatedAt completedAt
      totalPriceSet { shopMoney { amount currencyCode } }
      shippingAddress { countryCodeV2 }
      billingAddress { countryCodeV2 }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

_CUSTOMERS_BULK = """
{
  customers {
    edges { node { %(customer)s } }
  }
}
"""
CUSTOMERS_BULK = _CUSTOMERS_BULK % {"customer": _CUSTOMER_FIELDS % {"personal": _CUSTOMER_PERSONAL}}
CUSTOMERS_BULK_WITHOUT_PERSONAL = _CUSTOMERS_BULK % {"customer": _CUSTOMER_FIELDS % {"personal": ""}}

# `currentBulkOperation` is deprecated for `bulkOperations` with a status filter (up to five bulk queries may
# run at once from 2026-01): https://shopify.dev/docs/api/admin-graphql/2026-07/queries/bulkOperations
BULK_OPERATIONS = """
query BulkOperations($query: String!, $after: String) {
  bulkOperations(first: 25, after: $after, query: $query) {
    nodes { id status query url errorCode createdAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""

ACCESS_SCOPES = """
query AccessScopes {
  currentAppInstallation { accessScopes { handle } }
}
"""

PERSONAL_DATA_PROBE = """
query PersonalDataProbe {
  orders(first: 1) { nodes { id email } }
}
"""

STOCK_LEVELS = """
query StockLevels($first: Int!, $after: String, $query: String, $locationId: ID!) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes {
      id sku
      product { id }
      inventoryItem {
        id tracked
        inventoryLevel(locationId: $locationId) { quantities(names: ["available"]) { name quantity } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

VARIANT_PRICES = """
query VariantPrices($first: Int!, $after: String, $query: String) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes { id sku price compareAtPrice product { id } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

MARKET_PRICE_LISTS = """
query MarketPriceLists($first: Int!, $after: String) {
  priceLists(first: $first, after: $after) {
    nodes {
      id name currency
      catalog { ... on MarketCatalog { markets(first: 25) { nodes { id name handle } } } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PRICE_LIST_PRICES = """
query PriceListPrices($id: ID!, $first: Int!, $after: String) {
  priceList(id: $id) {
    prices(first: $first, after: $after, originType: FIXED) {
      nodes {
        variant { id sku }
        price { amount currencyCode }
        compareAtPrice { amount currencyCode }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

TAGS_ADD = """
mutation TagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    node { id }
    userErrors { field message }
  }
}
"""
