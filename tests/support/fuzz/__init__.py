"""Helpers of the fuzz tests: hostile text and files, what a safe CSV/XLSX cell is, and
the world the importer fuzz tests run in."""
