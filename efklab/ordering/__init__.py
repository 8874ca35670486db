"""Ordering: how far the order Dashboards shows is from the order lines were written, why, and the fix."""
