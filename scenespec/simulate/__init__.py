"""The optimizer simulator: objectives and update rules, used by the `optimizer` source."""
