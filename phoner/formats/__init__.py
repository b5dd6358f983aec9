"""File formats at the edge: CSV/XLSX readers and writers, iCalendar."""
