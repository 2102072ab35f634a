"""Validate stage: the spec language (pydantic models) and its checks."""
