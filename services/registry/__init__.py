"""Registry: the programme's book of record — enterprises, figures, evaluations, tiers, pools, platforms."""
