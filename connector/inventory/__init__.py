"""The pooled stock model's pure parts: channel rules and the fold of channel changes into the pool."""
