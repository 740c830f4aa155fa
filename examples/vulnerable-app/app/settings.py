"""Sample settings with a committed credential (a detect-secrets finding)."""

AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
