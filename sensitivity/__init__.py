"""Sensitivity analysis of the relocation model with SALib (see sensitivity/README or the project README)."""
