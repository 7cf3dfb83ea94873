"""Scenarios: the industrial-chain scenario list (产业链场景应用清单) and open technology challenges (揭榜挂帅)."""
