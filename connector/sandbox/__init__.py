"""Local simulated stores (WooCommerce REST, Shopify GraphQL) for tests, benchmarks and the demo.

`server.SandboxServer` is the shared HTTP core: threading server on 127.0.0.1, request counting,
injectable faults and the `/__sandbox/` control API. Each platform simulator subclasses it.
"""
