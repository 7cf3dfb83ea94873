"""Funding: the matching fund pool (配套基金池) and the innovation-factor supply pool (创新要素供给池) with vouchers (创新券)."""
