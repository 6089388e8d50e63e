"""Reports built from result rows: leaderboard tables, regression verdicts and figures."""
