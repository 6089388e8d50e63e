"""The harness: plan an eval run, execute its episodes on env hosts (local processes or Ray), store one row
per episode, and summarise them (statistics, level_stats)."""
