"""Platform adapters: one package per platform behind one contract, plus the errors and retry policy they share."""
