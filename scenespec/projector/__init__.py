"""TensorBoard's embedding projector, out and in: a log folder TensorBoard's projector plugin reads.

`export` writes one (`scenespec projector`), `read` reads one back (the `projector` source), whether scenespec,
`SummaryWriter.add_embedding` or a hand-written config made it. Neither needs TensorBoard installed: the folder is
plain text (the config, TSV tensors and metadata) and a PNG sprite.
"""
