"""Painters: the matplotlib side of each layer kind, imported only when a render draws that kind."""
