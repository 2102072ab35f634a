"""Transform stage: derived series (smoothed, running, cumulative) computed once from the resolved traces."""
