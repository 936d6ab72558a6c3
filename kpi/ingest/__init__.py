"""Readers with declared schemas, one per return type; validation collects every problem at once."""
