"""How an ordered item is named to customers and staff.

Saleor keeps the variant's name on each order line; for a variant without a name it
keeps a stand-in instead (its GraphQL id, or "ID:<number>"), which means nothing to a
reader. Such a stand-in gives way to the SKU, or to nothing.
"""

import base64
import binascii
import re

_NUMBERED_ID = re.compile(r"ID:\d+")
_GLOBAL_ID = re.compile(r"[A-Za-z0-9+/]{8,}={0,2}")


def is_stand_in_name(variant_name: str) -> bool:
    """Whether ``variant_name`` is Saleor's stand-in for a variant without a name."""
    name = variant_name.strip()
    if _NUMBERED_ID.fullmatch(name):
        return True
    if not _GLOBAL_ID.fullmatch(name):
        return False
    try:
        decoded = base64.b64decode(name + "=" * (-len(name) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    type_name, separator, object_id = decoded.decode("utf-8", "replace").partition(":")
    return bool(separator) and type_name == "ProductVariant" and object_id.isdigit()


def item_name(product_name: str, variant_name: str, sku: str = "") -> str:
    """ "Product (Variant)", with the SKU for a variant known only by a stand-in, and
    the product alone when the variant adds nothing."""
    variant = variant_name.strip()
    if is_stand_in_name(variant):
        variant = (sku or "").strip()
    if variant and variant != product_name:
        return f"{product_name} ({variant})"
    return product_name
