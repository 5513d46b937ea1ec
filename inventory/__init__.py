"""Inventory: device models, devices, kits, SIMs, locations, the movement ledger, labels and scanning."""
