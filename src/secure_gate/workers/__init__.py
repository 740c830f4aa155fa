"""Long-lived worker processes that run the per-file tools (bandit, detect-secrets) in batches."""
