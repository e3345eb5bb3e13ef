"""The server's routes, one module per group; `ROUTERS` is the table `build_app` mounts."""

from bertkit.serve.routes import apps, embed, meta, next_sentence, tasks, tei, token_vectors

ROUTERS = [
    embed.router,
    tasks.router,
    tei.router,
    next_sentence.router,
    token_vectors.router,
    apps.router,
    meta.router,
]
