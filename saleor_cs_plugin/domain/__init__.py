"""Pure customer-service rules: standard library only, no Django, no Saleor, no clock."""
