"""Distribution shifts applied to the table-top scene."""
