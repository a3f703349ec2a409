"""What comes in: any table file -> rows (tables), order files (orders), VINs (vin), the production register (register) and its parsed copy cached per season folder (register_cache), orders -> numbered orders (numbering), the plaque template (template) and its laser settings (laser_settings), postal address columns (address).

Contract: every input line ends as a record or a Reject with its reason; nothing here draws.
"""

__all__ = ['address', 'laser_settings', 'numbering', 'orders', 'register', 'register_cache', 'tables', 'template', 'vin']
